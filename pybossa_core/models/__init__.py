"""The data model: import every model here so the mappers and the metadata are complete."""
from sqlalchemy.orm import configure_mappers

from pybossa_core.models.assignment import TaskAssignment
from pybossa_core.models.auditlog import Auditlog
from pybossa_core.models.category import Category
from pybossa_core.models import figures
from pybossa_core.models.content import Announcement, Blogpost, HelpingMaterial, Page
from pybossa_core.models.handout import TaskHandout
from pybossa_core.models.meta import Base
from pybossa_core.models.project import Project
from pybossa_core.models.reliability import VolunteerReliability
from pybossa_core.models.result import Result
from pybossa_core.models.running_import import RunningImport
from pybossa_core.models.session import UserIdentity, WebSession
from pybossa_core.models.snapshot import SiteSnapshot
from pybossa_core.models.task import Task
from pybossa_core.models.taskrun import TaskRun
from pybossa_core.models.user import User
from pybossa_core.models.webhook import Webhook

configure_mappers()

__all__ = [
    "Announcement", "Auditlog", "Base", "Blogpost", "Category", "HelpingMaterial", "figures",
    "Page", "Project", "Result", "RunningImport", "SiteSnapshot", "Task", "TaskAssignment", "TaskHandout", "TaskRun", "User", "UserIdentity", "VolunteerReliability",
    "Webhook",
    "WebSession",
]
