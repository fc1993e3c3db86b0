/** CPU placement of running processes (taskset), and wrk scripts that spread one load over replicas. */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Every CPU of the machine, as a taskset list. */
export const allCpus = () => `0-${cpus().length - 1}`;

/** Moves every thread of each process to these CPUs (threads started later inherit it). */
export async function pin(pids: (number | undefined)[], cpuList: string): Promise<void> {
  for (const pid of pids) if (pid) await run('taskset', ['-a', '-p', '-c', cpuList, String(pid)]);
}

/**
 * A wrk script giving each wrk thread its own target port (thread N -> ports[N mod length]):
 * with `-t2` and two ports, each replica gets one thread and half the connections; with one
 * port listed twice, both threads load the same replica. The request (path, headers) is the
 * command line's.
 */
export async function spreadScript(file: string, ports: number[]): Promise<string> {
  await writeFile(
    file,
    `local ports = {${ports.map((p) => `"${p}"`).join(', ')}}\n` +
      'local n = 0\n' +
      'function setup(thread)\n' +
      '  n = n + 1\n' +
      '  thread.addr = wrk.lookup("127.0.0.1", ports[(n - 1) % #ports + 1])[1]\n' +
      'end\n',
  );
  return file;
}
