#!/usr/bin/env node
// Builds the CRM front-end assets into dist/ (served by Django as /static/).
//
//   npm run build            one-shot build (what CI and deployments run)
//   npm run watch            rebuild crm.js / crm.css / crm.rtl.css on change
//
// Environment: CRM_STATIC_URL (default "/static/") is the URL prefix under which
// Django serves dist/; the service worker's precache list is built from it.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const watch = process.argv.includes('--watch');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let staticUrl = process.env.CRM_STATIC_URL || '/static/';
if (!staticUrl.endsWith('/')) staticUrl += '/';

const BRAND = [0x0d, 0x6e, 0xfd];

// ---------------------------------------------------------------------------
// esbuild options

// htmx 2 contains one direct `eval(str)` (htmx.config.allowEval, switched off in
// src/htmx-setup.js). A direct eval stops esbuild from minifying any name in
// htmx's scope (~12 kB larger); make it an indirect eval, which behaves the same for
// htmx's use (global scope, no locals referenced) and can never run here anyway.
const htmxIndirectEval = {
  name: 'htmx-indirect-eval',
  setup(build) {
    build.onLoad({ filter: /htmx\.org[\\/]dist[\\/]htmx\.esm\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const out = src.replace('return eval(str)', 'return (0, eval)(str)');
      if (out === src) {
        return { contents: src, warnings: [{ text: 'htmx-indirect-eval: pattern not found (htmx changed?)' }] };
      }
      return { contents: out, loader: 'js' };
    });
  },
};

const jsOptions = {
  absWorkingDir: root,
  entryPoints: ['src/main.js'],
  outfile: 'dist/crm.js',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  define: { 'process.env.CRM_VERSION': JSON.stringify(pkg.version) },
  plugins: [htmxIndirectEval],
  logLevel: 'warning',
  metafile: true,
};

// Charts (ECharts) load only on report pages: a bundle of their own.
const chartsOptions = {
  ...jsOptions,
  entryPoints: ['src/charts.js'],
  outfile: 'dist/charts.js',
  plugins: [],
};

const cssOptions = {
  absWorkingDir: root,
  entryPoints: [
    { in: 'src/bundle.css', out: 'crm' },
    { in: 'src/bundle.rtl.css', out: 'crm.rtl' },
  ],
  outdir: 'dist',
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ['chrome100', 'firefox100', 'safari15'],
  // Fonts referenced by url() are copied to dist/fonts/ and the urls rewritten
  // (relative to the CSS file: "fonts/Vazirmatn-Regular.woff2").
  loader: { '.woff2': 'file', '.woff': 'file', '.ttf': 'file' },
  assetNames: 'fonts/[name]',
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
};

// ---------------------------------------------------------------------------
// PNG icons (drawn here, encoded with zlib; no image library needed)

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** Encode RGBA pixels (Uint8Array, width*height*4) as a PNG file. */
function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Brand-blue rounded square with a white "C" (for CRM), anti-aliased by 4×4 supersampling. */
function drawIcon(size) {
  const px = new Uint8Array(size * size * 4);
  const SS = 4;
  const corner = 0.2;
  const rOuter = 0.3;
  const rInner = 0.19;
  const gap = (42 * Math.PI) / 180; // half-opening of the C, around the +x axis
  const inRoundedSquare = (x, y) => {
    const qx = Math.max(Math.abs(x - 0.5) - (0.5 - corner), 0);
    const qy = Math.max(Math.abs(y - 0.5) - (0.5 - corner), 0);
    return qx * qx + qy * qy <= corner * corner;
  };
  const inLetter = (x, y) => {
    const dx = x - 0.5;
    const dy = y - 0.5;
    const r = Math.hypot(dx, dy);
    if (r < rInner || r > rOuter) return false;
    return Math.abs(Math.atan2(dy, dx)) > gap;
  };
  for (let py = 0; py < size; py++) {
    for (let pxi = 0; pxi < size; pxi++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const x = (pxi + (sx + 0.5) / SS) / size;
          const y = (py + (sy + 0.5) / SS) / size;
          if (inRoundedSquare(x, y)) {
            bg++;
            if (inLetter(x, y)) fg++;
          }
        }
      }
      const n = SS * SS;
      const a = bg / n;
      const white = bg ? fg / bg : 0;
      const i = (py * size + pxi) * 4;
      px[i] = Math.round(BRAND[0] + (255 - BRAND[0]) * white);
      px[i + 1] = Math.round(BRAND[1] + (255 - BRAND[1]) * white);
      px[i + 2] = Math.round(BRAND[2] + (255 - BRAND[2]) * white);
      px[i + 3] = Math.round(255 * a);
    }
  }
  return encodePng(size, size, px);
}

// ---------------------------------------------------------------------------
// Notification sound: a short two-tone sine "ding" as 16-bit mono WAV

function makeDing() {
  const rate = 22050;
  const seconds = 0.6;
  const n = Math.floor(rate * seconds);
  const data = Buffer.alloc(n * 2);
  const tones = [
    { f: 987.77, start: 0.0, amp: 0.45 }, // B5
    { f: 1318.51, start: 0.11, amp: 0.4 }, // E6
  ];
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    let s = 0;
    for (const { f, start, amp } of tones) {
      const tt = t - start;
      if (tt < 0) continue;
      const attack = Math.min(1, tt / 0.004);
      const env = attack * Math.exp(-tt / 0.16);
      s += amp * env * (Math.sin(2 * Math.PI * f * tt) + 0.15 * Math.sin(4 * Math.PI * f * tt));
    }
    const fadeOut = Math.min(1, (n - i) / (rate * 0.02));
    const v = Math.max(-1, Math.min(1, s * fadeOut));
    data.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // PCM chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

// ---------------------------------------------------------------------------

function write(rel, content) {
  const file = join(dist, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function listFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

function writeStaticFiles() {
  write('icons/icon-192.png', drawIcon(192));
  write('icons/icon-512.png', drawIcon(512));
  write('sound/notify.wav', makeDing());
  const manifest = {
    name: 'CRM',
    short_name: 'CRM',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: '#ffffff',
    theme_color: '#0d6efd',
    icons: [
      { src: `${staticUrl}icons/icon-192.png`, sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: `${staticUrl}icons/icon-512.png`, sizes: '512x512', type: 'image/png', purpose: 'any' },
    ],
  };
  write('manifest.webmanifest', `${JSON.stringify(manifest, null, 2)}\n`);
}

async function buildServiceWorker() {
  // The app shell: everything a page needs to render offline.
  const shellFiles = listFiles(dist)
    .map((f) => relative(dist, f).split('\\').join('/'))
    .filter((f) => /^(crm\.js|crm\.css|crm\.rtl\.css|manifest\.webmanifest|fonts\/.+\.woff2|(icons|sound)\/.+)$/.test(f));
  const hash = createHash('sha256');
  for (const f of shellFiles) hash.update(f).update(readFileSync(join(dist, f)));
  const version = hash.digest('hex').slice(0, 12);
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/sw.js'],
    outfile: 'dist/sw.js',
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    logLevel: 'warning',
    define: {
      __CRM_SW_VERSION__: JSON.stringify(version),
      __CRM_SW_SHELL__: JSON.stringify(shellFiles.map((f) => staticUrl + f)),
      __CRM_STATIC_URL__: JSON.stringify(staticUrl),
    },
  });
  return { version, shellFiles };
}

function report() {
  for (const f of listFiles(dist)) {
    const kb = (statSync(f).size / 1024).toFixed(1).padStart(8);
    console.log(`${kb} kB  ${relative(root, f)}`);
  }
}

async function main() {
  const t0 = Date.now();
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });

  if (watch) {
    writeStaticFiles();
    const js = await esbuild.context(jsOptions);
    const css = await esbuild.context(cssOptions);
    const charts = await esbuild.context(chartsOptions);
    await Promise.all([js.rebuild(), css.rebuild(), charts.rebuild()]);
    await buildServiceWorker();
    await Promise.all([js.watch(), css.watch(), charts.watch()]);
    console.log('Watching src/ … (sw.js is not rebuilt in watch mode)');
    return;
  }

  await Promise.all([esbuild.build(jsOptions), esbuild.build(cssOptions), esbuild.build(chartsOptions)]);
  writeStaticFiles();
  const { version, shellFiles } = await buildServiceWorker();
  report();
  console.log(`Built in ${Date.now() - t0} ms; service worker cache ${version} (${shellFiles.length} shell files)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
