/// The page's inline stylesheet (no web fonts, works offline and in print).
enum PageStyle {
    static let css = """
    :root { color-scheme: light; }
    * { box-sizing: border-box; }
    body { margin: 0; background: #f3f4f6; color: #111827;
           font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
    main { max-width: 1220px; margin: 0 auto; padding: 20px 20px 40px; }
    header h1 { font-size: 22px; margin: 0 0 4px; }
    header .sub { color: #6b7280; margin: 0 0 14px; word-break: break-all; }
    h2 { font-size: 17px; margin: 0 0 10px; }
    h3 { font-size: 15px; margin: 18px 0 8px; }
    code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
    .badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 2px 8px; border-radius: 999px;
             background: #e0e7ff; color: #3730a3; vertical-align: middle; }
    .badge.fp32 { background: #e5e7eb; color: #374151; }
    .badge.best { background: #dcfce7; color: #166534; font-size: 11px; padding: 0 6px; }
    .badge.ckpt { background: #f3f4f6; color: #4b5563; font-size: 11px; padding: 0 6px; font-weight: 500; }
    .badge.status { background: #fef3c7; color: #92400e; }
    .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 16px 18px; margin: 0 0 16px;
            box-shadow: 0 1px 2px rgba(0,0,0,.04); }
    .warning { background: #fffbeb; border: 1px solid #f59e0b; color: #78350f; border-radius: 8px;
               padding: 10px 14px; margin: 0 0 16px; }
    .warning p { margin: 2px 0; }
    .note { color: #6b7280; margin: 0 0 10px; }
    .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 10px; }
    .tile { border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 10px; background: #f9fafb; }
    .tile-label { color: #4b5563; font-size: 12.5px; font-weight: 600; }
    .tile-value { font-size: 22px; font-weight: 650; margin: 2px 0; white-space: nowrap; font-variant-numeric: tabular-nums; }
    .tile-detail { color: #6b7280; font-size: 12px; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; margin: 0 0 16px; }
    .charts .card { margin: 0; padding: 10px 10px 6px; }
    .charts #evals { padding: 14px 16px; }
    .charts .wide { grid-column: 1 / -1; }
    table.evals { font-size: 12.5px; }
    table.evals th, table.evals td { padding: 4px 7px; }
    .settings-columns { display: flex; flex-wrap: wrap; gap: 0 32px; align-items: flex-start; }
    svg.chart { display: block; width: 100%; height: auto; }
    .legend-html { display: flex; gap: 18px; margin: 0 0 10px; font-size: 13px; }
    .legend-html i { display: inline-block; width: 18px; height: 3px; margin: 0 6px 3px 0; vertical-align: middle; }
    .quant-grid { display: grid; gap: 4px 8px; align-items: center; }
    .qhead { font: 600 11px/1.3 ui-monospace, Menlo, Consolas, monospace; color: #374151; text-align: center;
             word-break: break-word; align-self: end; padding-bottom: 2px; }
    .qrow { font-size: 12px; font-weight: 600; color: #374151; text-align: right; padding-right: 4px; }
    .qcell { border: 1px solid #f3f4f6; border-radius: 6px; min-height: 40px; }
    .qempty { color: #9ca3af; font-size: 11px; text-align: center; padding: 16px 4px; }
    .quant-others { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 8px; margin-top: 12px; }
    .quant-others figure { margin: 0; border: 1px solid #f3f4f6; border-radius: 6px; }
    .quant-others figcaption { font: 600 11px/1.3 ui-monospace, Menlo, Consolas, monospace; color: #374151;
                               padding: 4px 6px 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    table { border-collapse: collapse; font-size: 13px; }
    th, td { padding: 4px 10px; border-bottom: 1px solid #e5e7eb; text-align: left; vertical-align: top; }
    th { background: #f9fafb; font-weight: 600; }
    table.numbers td { font-variant-numeric: tabular-nums; white-space: nowrap; }
    table.numbers td:not(:first-child), table.numbers th:not(:first-child) { text-align: right; }
    table.weights th { font: 600 11px/1.3 ui-monospace, Menlo, Consolas, monospace; }
    table.weights + table.weights { margin-top: 16px; }
    table.settings td:last-child { word-break: break-word; max-width: 760px; }
    .table-scroll { overflow-x: auto; }
    footer { color: #9ca3af; font-size: 12px; text-align: center; }
    @media print { body { background: #fff; } .card { box-shadow: none; break-inside: avoid; } }
    """
}
