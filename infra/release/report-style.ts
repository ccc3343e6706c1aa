/** The report's inline stylesheet (system fonts only: the page must open offline). */
export const REPORT_CSS = `
:root { --fg:#1d2330; --muted:#5b6475; --line:#d8dde6; --go:#1a7f37; --nogo:#cf222e; --warn:#9a6700; --bg:#fff; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color:var(--fg); background:var(--bg); }
header { padding:16px 24px 8px; border-bottom:1px solid var(--line); background:var(--soft); }
h1 { margin:0 0 4px; font-size:22px; } h1 .stack { font-size:14px; padding:2px 8px; border-radius:10px; background:#dde4ee; vertical-align:middle; }
nav a { margin-right:12px; color:#0969da; text-decoration:none; font-size:13px; }
main { padding:8px 24px 24px; max-width:1400px; }
h2 { font-size:17px; margin:24px 0 8px; border-bottom:1px solid var(--line); padding-bottom:4px; }
h3 { font-size:14px; margin:14px 0 6px; }
table { border-collapse:collapse; margin:6px 0 10px; }
th, td { border:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
th { background:var(--soft); font-weight:600; }
code { font: 12px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; background:var(--soft); padding:1px 4px; border-radius:3px; }
pre { background:var(--soft); padding:8px; overflow:auto; }
.verdict { display:flex; align-items:baseline; gap:16px; margin:16px 0 4px; padding:14px 18px; border-radius:8px; color:#fff; }
.verdict.go { background:var(--go); } .verdict.nogo { background:var(--nogo); }
.verdict .word { font-size:30px; font-weight:700; letter-spacing:1px; } .verdict .when { opacity:.9; }
.mark { font-weight:700; text-align:center; width:28px; }
tr.pass .mark { color:var(--go); } tr.fail .mark, tr.fail td:first-child { color:var(--nogo); } tr.skip .mark { color:var(--muted); }
tr.fail { background:#fff5f5; }
.reasons li { margin:2px 0; }
.missing, .note { color:var(--muted); }
.sev { display:inline-block; padding:1px 8px; border-radius:10px; background:#eef1f5; margin-right:6px; text-transform:capitalize; }
.sev.critical, .sev.high { background:#ffebe9; color:var(--nogo); } .sev.medium { background:#fff8c5; color:var(--warn); }
h3.sev { display:block; background:none; padding:0; }
.scroll { overflow:auto; border:1px solid var(--line); border-radius:6px; background:#fbfcfe; }
#resource-graph { max-width:100%; height:auto; display:block; }
#resource-graph .component rect { fill:#fff; stroke:#4a6fa5; stroke-width:1.3; }
#resource-graph .name { font-weight:700; font-size:13px; fill:var(--fg); }
#resource-graph .type { font-size:10.5px; fill:var(--muted); }
#resource-graph .key { font-size:11.5px; fill:var(--fg); }
#resource-graph .more { font-size:11px; fill:var(--muted); font-style:italic; }
#resource-graph .edge { fill:none; stroke:#8893a5; stroke-width:1.2; opacity:.8; }
.calendar td { width:14.2%; min-width:120px; height:64px; font-size:12px; }
.calendar td.weekend { background:#fafbfc; } .calendar td.today { outline:2px solid #0969da; outline-offset:-2px; }
.calendar .date { font-weight:600; color:var(--muted); }
.calendar .role { display:inline-block; min-width:64px; color:var(--muted); font-size:11px; }
.calendar .gap { color:var(--nogo); font-weight:600; }
footer { padding:12px 24px; color:var(--muted); font-size:12px; border-top:1px solid var(--line); }
`;
