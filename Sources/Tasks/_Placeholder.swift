enum _TasksPlaceholder {}
