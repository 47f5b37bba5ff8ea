/**
 * A small static file server (node:http) for the built page, and optionally a model folder
 * at /model/. Only GET/HEAD, only files inside the served folders (no listing, no path
 * traversal), no caching (a rebuilt page or re-trained model is picked up on reload).
 *
 * What it refuses, because a page in the user's browser can reach a localhost server too:
 *  - files whose REAL path leaves the served folders: a symbolic link in the model folder to
 *    /etc/passwd or ~/.ssh is not followed out (403), links inside the folders work;
 *  - requests whose Host header is not a name of this server (403): otherwise a web site
 *    whose domain re-resolves to 127.0.0.1 (DNS rebinding) could read the page and the model
 *    as same-origin. Accepted: localhost, 127.0.0.1, [::1], the address listened on, the
 *    machine's own addresses when listening on all of them, and `allowedHosts`.
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.safetensors': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

export interface ServeOptions {
  /** The built page (index.html, main.js, …). */
  root: string;
  /** A model folder served at /model/ (model.json, model.safetensors). */
  modelDir?: string;
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** More names the Host header may carry (e.g. the public name of an https proxy in front). */
  allowedHosts?: readonly string[];
}

export interface RunningServer {
  server: Server;
  port: number;
  /** http://localhost:PORT/ — localhost is a secure context, so WebGPU is allowed over http. */
  url: string;
  close(): Promise<void>;
}

/** The file a URL path maps to inside `base`, or null when it would leave it. */
export function resolveInside(base: string, urlPath: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const root = resolve(base);
  const full = resolve(root, '.' + (rel.startsWith('/') ? rel : `/${rel}`));
  return full === root || full.startsWith(root + sep) ? full : null;
}

/** True when `p` is `dir` or inside it (both real, absolute paths). */
function isInside(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** The host name of a Host header, lower case, without port or trailing dot ("[::1]" keeps its brackets). */
export function hostName(header: string): string {
  let h = header.trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(0, h.indexOf(']') + 1 || undefined);
  else if (/:\d*$/.test(h)) h = h.slice(0, h.lastIndexOf(':'));
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** The Host names this server answers to (see the file comment). */
export function allowedHostNames(host: string, extra: readonly string[] = []): Set<string> {
  const bracket = (a: string) => (a.includes(':') ? `[${a}]` : a);
  const names = new Set(['localhost', '127.0.0.1', '[::1]', bracket(host.toLowerCase()), ...extra.map((e) => hostName(e))]);
  if (host === '0.0.0.0' || host === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(bracket(a.address.toLowerCase()));
  }
  return names;
}

export function startServer(o: ServeOptions): Promise<RunningServer> {
  const root = resolve(o.root);
  const modelDir = o.modelDir ? resolve(o.modelDir) : null;
  // Real paths, taken once: a served folder may itself be a link (runs/latest → runs/2024-…).
  let rootReal: string;
  let modelReal: string | null;
  try {
    rootReal = realpathSync(root);
    modelReal = modelDir ? realpathSync(modelDir) : null;
  } catch (e) {
    return Promise.reject(new Error(`cannot serve a folder that does not exist: ${(e as NodeJS.ErrnoException).path ?? root}`));
  }
  const hosts = allowedHostNames(o.host ?? '127.0.0.1', o.allowedHosts);
  const server = createServer((req, res) => {
    const send = (code: number, text: string) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text + '\n');
    };
    const host = req.headers.host;
    if (!host || !hosts.has(hostName(host))) {
      return send(403, `forbidden: this server answers only to ${[...hosts].join(', ')}, not to Host '${host ?? ''}'`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let file: string | null;
    let baseReal: string;
    if (path === '/model' || path.startsWith('/model/')) {
      if (!modelDir) return send(404, 'no model folder is served (start with --model DIR)');
      file = resolveInside(modelDir, path.slice('/model'.length) || '/');
      baseReal = modelReal!;
    } else {
      file = resolveInside(root, path === '/' ? '/index.html' : path);
      baseReal = rootReal;
    }
    if (!file) return send(403, 'forbidden');
    const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    let size: number;
    try {
      const real = realpathSync(file);
      if (!isInside(real, baseReal)) return send(403, 'forbidden: a link out of the served folder');
      const st = statSync(real);
      if (!st.isFile()) return send(404, 'not found');
      size = st.size;
      file = real; // read what was checked
    } catch {
      return send(404, 'not found');
    }
    res.writeHead(200, {
      'content-type': type,
      'content-length': size,
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') fail(new Error(`port ${o.port} is already in use; pass --port N (or --port 0 for any free port)`));
      else fail(e);
    });
    server.listen(o.port ?? 8080, o.host ?? '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      ok({
        server,
        port,
        url: `http://localhost:${port}/`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive connections from a browser would otherwise hold close() open.
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** True when `dir` holds the two files saveModel writes. */
export function isModelFolder(dir: string): boolean {
  return existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'model.safetensors'));
}
