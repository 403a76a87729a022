enum _ReportPlaceholder {}
