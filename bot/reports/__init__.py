"""Documents the committee files: spreadsheets (openpyxl) and Word documents (python-docx) built
from the core's data, localized with the reader's translator. Imported only where a report is
asked for, so neither library is loaded at start."""
