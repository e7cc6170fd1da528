// Whether a process (or one of its descendants, as workerd is of wrangler) is the one listening on a
// TCP port, read from /proc. It lets `npm start` trust a /health answer only from its own Worker, not
// from whatever else came to listen on the port. Where /proc is missing the answer is "unknown".
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, the inode is the tenth field.
      if (fields.length > 9 && fields[3] === '0A' && parseInt(fields[1]!.split(':')[1]!, 16) === port) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name is in parentheses and may hold spaces; the parent pid is the second field after it.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []));
  return found;
}

export function listensOn(pid: number, port: number): boolean | 'unknown' {
  if (!existsSync('/proc/net/tcp')) return 'unknown';
  const inodes = listeningInodes(port);
  for (const process of descendantsOf(pid)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${process}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${process}/fd/${fd}`));
        if (match && inodes.has(match[1]!)) return true;
      } catch {
        // closed while we looked
      }
    }
  }
  return false;
}
