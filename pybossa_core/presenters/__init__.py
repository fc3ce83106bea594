"""The page dicts: what each web page (and its JSON) shows of a project, a user, ...

Views ask here for the parts their page shows, so no view builds another's dicts and no view
module imports another.  Presenters read through the services and the request's session; they
change nothing.
"""
