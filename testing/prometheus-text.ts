// Reads Prometheus text as tests need it: the value of one series, named with its labels as exposed.
/** The value of `series` (e.g. `kabar_sessions{status="WORKING",reason="NONE"}`), or undefined when it is absent. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
