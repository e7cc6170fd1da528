// The dashboard's stylesheet: one column from 320 px up, two beside each other on a wide screen; long ids and
// keys wrap instead of widening the page, and wide tables scroll inside their own box.
export const DASHBOARD_CSS = `
:root { color-scheme: light dark; --fg: #1d2327; --muted: #5f6b73; --line: #d5dbe0; --bg: #f6f8f9; --card: #fff;
  --accent: #0b7a55; --warn: #a15c00; --bad: #b3261e; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6eaed; --muted: #9aa6ad; --line: #37424a; --bg: #14191c; --card: #1d2428;
  --accent: #3fcf98; --warn: #f0a64a; --bad: #ff8a80; } }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); line-height: 1.45; overflow-wrap: anywhere; }
.bar { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .6rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
.bar h1 { font-size: 1.2rem; margin: 0; margin-right: auto; }
.bar p { margin: 0; color: var(--muted); font-size: .9rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
#app { display: grid; gap: 1rem; grid-template-columns: minmax(0, 1fr); }
@media (min-width: 60rem) { #app { grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); } #app > section:last-child { grid-column: 1 / -1; } }
section { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; min-width: 0; }
h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
label { display: block; font-weight: 600; margin: .6rem 0 .2rem; }
input, textarea, button { font: inherit; }
input, textarea { width: 100%; padding: .45rem .55rem; border: 1px solid var(--line); border-radius: .35rem; background: var(--bg); color: var(--fg); }
button { margin-top: .6rem; padding: .45rem .9rem; border: 1px solid var(--accent); border-radius: .35rem; background: var(--accent); color: #fff; cursor: pointer; }
button.quiet { background: transparent; color: var(--accent); }
:focus-visible { outline: 3px solid var(--warn); outline-offset: 2px; }
.error { color: var(--bad); min-height: 1em; margin: .4rem 0 0; }
.hint { color: var(--muted); font-size: .9rem; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.sessions { list-style: none; margin: 0; padding: 0; display: grid; gap: .4rem; }
.sessions button { width: 100%; margin: 0; text-align: left; background: var(--bg); color: var(--fg); border-color: var(--line); display: grid; gap: .15rem; }
.sessions button[aria-current="true"] { border-color: var(--accent); box-shadow: inset 4px 0 0 var(--accent); }
.sessions .id { font-weight: 600; }
.sessions .reason { color: var(--muted); font-size: .85rem; }
.status { display: inline-block; padding: .05rem .45rem; border-radius: 1rem; font-size: .8rem; font-weight: 700; border: 1px solid currentColor; width: fit-content; }
.status[data-status="WORKING"] { color: var(--accent); }
.status[data-status="SCAN_QR_CODE"], .status[data-status="STARTING"] { color: var(--warn); }
.status[data-status="FAILED"], .status[data-status="LOGGED_OUT"], .status[data-status="STOPPED"] { color: var(--bad); }
.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .3rem .8rem; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: 0 .5rem; }
figure { margin: 1rem 0; }
#qr { display: block; width: 100%; max-width: 264px; height: auto; image-rendering: pixelated; background: #fff; padding: 8px; border-radius: .35rem; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .4rem; }
.secret { margin-top: 1rem; padding: .75rem; border: 2px dashed var(--warn); border-radius: .5rem; }
.secret output { display: block; white-space: pre-wrap; padding: .5rem; background: var(--bg); border-radius: .35rem; }
#pair-code { display: block; font-size: 1.5rem; letter-spacing: .15em; margin-top: .4rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th { white-space: nowrap; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td button { margin: 0; padding: .2rem .6rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
[hidden] { display: none !important; }
`;
