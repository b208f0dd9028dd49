"""The monthly report: one data function (`data.monthly_report`) rendered as JSON, XLSX, HTML and PDF."""
