// The dashboard's stylesheet, served as /dashboard/app.css (a TS string so `npm run build` ships it in dist).
// System fonts only, light and dark from the operator's own setting; no external resource of any kind.

/** The whole stylesheet. */
export const STYLE_CSS = `:root {
  --bg: #f5f6f8; --panel: #ffffff; --text: #1d2330; --muted: #6b7385; --line: #e3e6ec;
  --accent: #2f6fde; --in: #2f6fde; --out: #16a37a; --ok: #16a37a; --warn: #c98a12; --bad: #d64545;
  --badge: #eef1f6; --shadow: 0 1px 2px rgba(16, 24, 40, 0.06);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #11141a; --panel: #191d25; --text: #e4e7ee; --muted: #8b93a5; --line: #2a303b;
    --accent: #5b8ff0; --in: #5b8ff0; --out: #2fc495; --badge: #232834; --shadow: none;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
h1, h2 { margin: 0; font-weight: 600; }
h2 { font-size: 14px; letter-spacing: 0.01em; }
button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent);
  color: #fff; padding: 5px 12px; }
button:disabled { opacity: 0.5; cursor: default; }
button.ghost { background: transparent; color: var(--text); border-color: var(--line); }
button.danger { background: transparent; color: var(--bad); border-color: var(--bad); }
button.go { background: transparent; color: var(--ok); border-color: var(--ok); }
input { font: inherit; padding: 6px 10px; border-radius: 6px; border: 1px solid var(--line); background: var(--panel);
  color: var(--text); }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.logo { color: var(--accent); }

.top { display: flex; align-items: center; gap: 20px; padding: 12px 24px; background: var(--panel);
  border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
.brand { font-weight: 700; font-size: 16px; }
.meta { color: var(--muted); margin-left: auto; font-variant-numeric: tabular-nums; }
.live { display: flex; align-items: center; gap: 6px; color: var(--muted); }
.live .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--warn); }
.live[data-state="live"] .dot { background: var(--ok); box-shadow: 0 0 0 3px rgba(22, 163, 122, 0.18); }
.live[data-state="reconnecting"] .dot, .live[data-state="stale"] .dot { background: var(--bad); }

main.board { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; padding: 20px 24px 40px;
  max-width: 1400px; margin: 0 auto; }
.cards { grid-column: 1 / -1; display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card, .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; box-shadow: var(--shadow); }
.card { padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; }
.card .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; margin-top: 2px; }
.card .unit { color: var(--muted); font-size: 12px; }
.card.accent-in { border-top: 3px solid var(--in); }
.card.accent-out { border-top: 3px solid var(--out); }
.panel { padding: 14px 16px; min-width: 0; }
.panel.wide { grid-column: 1 / -1; }
.panel-head { display: flex; align-items: center; gap: 10px; margin-bottom: 10px; }
.count { background: var(--badge); border-radius: 10px; padding: 0 8px; font-size: 12px; color: var(--muted); }
.legend { margin-left: auto; color: var(--muted); font-size: 12px; display: flex; align-items: center; gap: 6px; }
.key { display: inline-block; width: 14px; height: 3px; border-radius: 2px; margin-left: 8px; }
.key-in { background: var(--in); }
.key-out { background: var(--out); }

#chart { width: 100%; height: 220px; display: block; }
#chart .gridline { stroke: var(--line); stroke-width: 1; }
#chart .axis { fill: var(--muted); font-size: 11px; }
#chart .series { fill: none; stroke-width: 1.5; stroke-linejoin: round; vector-effect: non-scaling-stroke; }
#chart .series-in { stroke: var(--in); }
#chart .series-out { stroke: var(--out); stroke-width: 3; opacity: 0.85; }
#chart .area-in { fill: var(--in); opacity: 0.08; }

table.grid { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.grid th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px; padding: 6px 8px;
  border-bottom: 1px solid var(--line); }
table.grid td { padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
table.grid tr:last-child td { border-bottom: none; }
table.grid tr.empty td { color: var(--muted); text-align: center; padding: 14px; }
table.grid td.num { text-align: right; }
table.compact td { padding: 5px 8px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; background: var(--badge); font-size: 12px; }
.badge.ok { background: rgba(22, 163, 122, 0.14); color: var(--ok); }
.badge.warn { background: rgba(201, 138, 18, 0.15); color: var(--warn); }
.badge.bad { background: rgba(214, 69, 69, 0.14); color: var(--bad); }
.sub { color: var(--muted); font-size: 12px; }
.error-text { color: var(--bad); }

ol.errors { list-style: none; margin: 0; padding: 0; max-height: 260px; overflow: auto; }
ol.errors li { padding: 6px 0; border-bottom: 1px solid var(--line); display: grid;
  grid-template-columns: auto auto 1fr; gap: 8px; align-items: baseline; }
ol.errors li:last-child { border-bottom: none; }
ol.errors li.empty { display: block; color: var(--muted); text-align: center; padding: 14px; }
ol.errors .when { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 12px; }
ol.errors li button { grid-column: 3; justify-self: start; padding: 1px 8px; }

.lookup { display: flex; gap: 8px; }
.lookup input { flex: 1; max-width: 460px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
#lookup-result { margin-top: 12px; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 8px 16px; margin: 0 0 12px; }
dl.facts div { min-width: 0; }
dl.facts dt { color: var(--muted); font-size: 12px; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.notice { color: var(--muted); }

body.login { display: grid; place-items: center; min-height: 100vh; }
.login-box { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 28px; width: 360px;
  box-shadow: var(--shadow); }
.login-box h1 { font-size: 20px; margin-bottom: 8px; }
.login-box form { display: grid; gap: 8px; margin-top: 16px; }
.login-box label { font-size: 12px; color: var(--muted); }
.login-box .error { color: var(--bad); margin: 12px 0 0; }
@media (max-width: 800px) { main.board { grid-template-columns: 1fr; } .meta { display: none; } }
`;
