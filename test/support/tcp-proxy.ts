/**
 * A tiny TCP proxy on loopback that forwards every connection to one target port, switched by the
 * test: what PgBouncer, HAProxy or a virtual IP do in production when a standby is promoted.
 * It counts the bytes it forwards to the target (to show which side served a query).
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** bytes sent from clients to the target so far */
  readonly bytesToTarget: number;
  /** new connections go to `port`; the open ones (to the old target) are closed */
  switchTo(port: number): void;
  close(): Promise<void>;
}

export function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  let bytes = 0;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('data', (d) => {
      bytes += d.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        get bytesToTarget() {
          return bytes;
        },
        switchTo(port) {
          target = port;
          for (const s of open) s.destroy();
          open.clear();
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of open) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
