/**
 * A small static file server (node:http) for the built page, and optionally a model folder
 * at /model/. Only GET/HEAD, only files inside the served folders (no listing, no path
 * traversal), no caching (a rebuilt page or re-trained model is picked up on reload).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  host?: string;
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

export function startServer(o: ServeOptions): Promise<RunningServer> {
  const root = resolve(o.root);
  const modelDir = o.modelDir ? resolve(o.modelDir) : null;
  const server = createServer((req, res) => {
    const send = (code: number, text: string) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text + '\n');
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let file: string | null;
    if (path === '/model' || path.startsWith('/model/')) {
      if (!modelDir) return send(404, 'no model folder is served (start with --model DIR)');
      file = resolveInside(modelDir, path.slice('/model'.length) || '/');
    } else {
      file = resolveInside(root, path === '/' ? '/index.html' : path);
    }
    if (!file) return send(403, 'forbidden');
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) return send(404, 'not found');
      size = st.size;
    } catch {
      return send(404, 'not found');
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
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
