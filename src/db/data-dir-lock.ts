/**
 * Embedded PGlite is one process's database: two processes opening the same data folder would
 * corrupt it, and PGlite itself takes no lock. The CLI takes this lock file (the process id of
 * its holder) for as long as it has the folder open, and refuses to start while a live process
 * holds it; a lock left by a process that died is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';

export class DataDirLocked extends Error {
  override name = 'DataDirLocked';
}

export function lockFilePath(dataDir: string): string {
  return path.join(dataDir, 'pglite.lock');
}

/** Whether process `pid` exists (EPERM: it does, as another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock on `dataDir`; returns its release. Throws DataDirLocked when it is held. */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = lockFilePath(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      const release = () => {
        process.off('exit', release);
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
      process.on('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
      if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new DataDirLocked(
          `the embedded database in ${dataDir} is in use by process ${holder} (a running server?); ` +
            'stop it, or use the admin API of the running server instead',
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new DataDirLocked(`could not take the lock ${file}`);
}
