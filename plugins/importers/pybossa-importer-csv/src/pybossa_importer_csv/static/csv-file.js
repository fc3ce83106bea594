// The CSV importer's form: a file chosen on the computer is read into the CSV text field.
document.getElementById("csv_file").addEventListener("change", function (event) {
  var file = event.target.files[0];
  if (!file) { return; }
  file.text().then(function (text) {
    document.getElementById("csv_text").value = text;
    document.getElementById("csv_url").value = "";
  });
});
