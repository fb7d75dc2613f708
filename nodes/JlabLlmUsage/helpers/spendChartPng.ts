/**
 * The daily-spend chart as a PNG, which n8n's binary view previews (it shows no SVG): bars, axes and
 * a value scale, with a small built-in digit font. Encoded here (16-colour palette, uncompressed
 * deflate blocks): community nodes may not load zlib.
 */
import { niceCeiling, type ChartDay } from './spendChart';

const W = 720;
const H = 320;
const M = { top: 20, right: 16, bottom: 40, left: 72 };
// Palette indices: 0 background, 1 bars, 2 grid, 3 text and axes.
const PALETTE = [
	[0xff, 0xff, 0xff],
	[0x1f, 0x6f, 0xb2],
	[0xd9, 0xde, 0xe5],
	[0x1d, 0x27, 0x33],
];

// 3×5 glyphs, rows top to bottom, 3 bits per row (4 = left pixel).
const GLYPHS: Record<string, number[]> = {
	'0': [7, 5, 5, 5, 7],
	'1': [2, 6, 2, 2, 7],
	'2': [7, 1, 7, 4, 7],
	'3': [7, 1, 7, 1, 7],
	'4': [5, 5, 7, 1, 1],
	'5': [7, 4, 7, 1, 7],
	'6': [7, 4, 7, 5, 7],
	'7': [7, 1, 1, 1, 1],
	'8': [7, 5, 7, 5, 7],
	'9': [7, 5, 7, 1, 7],
	'.': [0, 0, 0, 0, 2],
	'-': [0, 0, 7, 0, 0],
	' ': [0, 0, 0, 0, 0],
};
const SCALE = 2;

class Canvas {
	readonly pixels = new Uint8Array(W * H);

	rect(x0: number, y0: number, x1: number, y1: number, colour: number) {
		for (let y = Math.max(0, Math.round(y0)); y < Math.min(H, Math.round(y1)); y++) {
			for (let x = Math.max(0, Math.round(x0)); x < Math.min(W, Math.round(x1)); x++)
				this.pixels[y * W + x] = colour;
		}
	}

	/** Text in the digit font; `align` right puts its right edge at x. */
	text(s: string, x: number, y: number, align: 'left' | 'right' | 'centre' = 'left') {
		const width = s.length * 4 * SCALE - SCALE;
		let cx = align === 'right' ? x - width : align === 'centre' ? x - width / 2 : x;
		for (const ch of s) {
			const rows = GLYPHS[ch] ?? GLYPHS[' '];
			rows.forEach((bits, r) => {
				for (let c = 0; c < 3; c++) {
					if (bits & (4 >> c))
						this.rect(cx + c * SCALE, y + r * SCALE, cx + (c + 1) * SCALE, y + (r + 1) * SCALE, 3);
				}
			});
			cx += 4 * SCALE;
		}
	}
}

const CRC_TABLE = (() => {
	const t = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		t[n] = c >>> 0;
	}
	return t;
})();

function crc32(bytes: Buffer): number {
	let c = 0xffffffff;
	for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
	const head = Buffer.alloc(8);
	head.writeUInt32BE(data.length, 0);
	head.write(type, 4, 'latin1');
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
	return Buffer.concat([head, data, crc]);
}

/** A zlib stream of stored (uncompressed) deflate blocks. */
function zlibStored(raw: Buffer): Buffer {
	const parts: Buffer[] = [Buffer.from([0x78, 0x01])];
	for (let i = 0; i < raw.length || i === 0; i += 65535) {
		const block = raw.subarray(i, i + 65535);
		const head = Buffer.alloc(5);
		head[0] = i + 65535 >= raw.length ? 1 : 0;
		head.writeUInt16LE(block.length, 1);
		head.writeUInt16LE(~block.length & 0xffff, 3);
		parts.push(head, block);
	}
	let a = 1;
	let b = 0;
	for (const byte of raw) {
		a = (a + byte) % 65521;
		b = (b + a) % 65521;
	}
	const adler = Buffer.alloc(4);
	adler.writeUInt32BE(((b << 16) | a) >>> 0, 0);
	parts.push(adler);
	return Buffer.concat(parts);
}

function encodePng(canvas: Canvas): Buffer {
	const header = Buffer.alloc(13);
	header.writeUInt32BE(W, 0);
	header.writeUInt32BE(H, 4);
	header[8] = 4; // bit depth: two pixels per byte
	header[9] = 3; // palette colour
	const rowBytes = Math.ceil(W / 2);
	const raw = Buffer.alloc(H * (rowBytes + 1));
	for (let y = 0; y < H; y++) {
		const o = y * (rowBytes + 1);
		for (let x = 0; x < W; x += 2) {
			raw[o + 1 + x / 2] =
				(canvas.pixels[y * W + x] << 4) | (x + 1 < W ? canvas.pixels[y * W + x + 1] : 0);
		}
	}
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', header),
		chunk('PLTE', Buffer.from(PALETTE.flat())),
		chunk('IDAT', zlibStored(raw)),
		chunk('IEND', Buffer.alloc(0)),
	]);
}

// US dollars; a 3×5 font has no legible dollar sign.
const dollars = (v: number) =>
	`${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(v >= 0.01 || v === 0 ? 2 : 4)}`;

/** One bar per day, a four-step scale in US dollars, the first and last day (MM-DD) under the axis. */
export function renderSpendChartPng(days: ChartDay[]): Buffer {
	const canvas = new Canvas();
	const plotW = W - M.left - M.right;
	const plotH = H - M.top - M.bottom;
	const top = niceCeiling(Math.max(0, ...days.map((d) => d.spendUsd))) || 1;
	for (let i = 0; i <= 4; i++) {
		const y = M.top + plotH - (plotH * i) / 4;
		canvas.rect(M.left, y, W - M.right, y + 1, 2);
		canvas.text(dollars((top * i) / 4), M.left - 6, y - 5, 'right');
	}
	const slot = plotW / Math.max(1, days.length);
	days.forEach((d, i) => {
		const h = (Math.max(0, d.spendUsd) / top) * plotH;
		const x = M.left + i * slot;
		if (h > 0)
			canvas.rect(
				x + slot * 0.15,
				M.top + plotH - Math.max(1, h),
				x + slot * 0.85,
				M.top + plotH,
				1,
			);
	});
	canvas.rect(M.left, M.top + plotH, W - M.right, M.top + plotH + 2, 3);
	canvas.rect(M.left - 2, M.top, M.left, M.top + plotH + 2, 3);
	if (days.length) {
		const label = (d: ChartDay) => d.date.slice(5);
		canvas.text(label(days[0]), M.left + slot / 2, M.top + plotH + 10, 'centre');
		if (days.length > 1)
			canvas.text(
				label(days[days.length - 1]),
				M.left + slot * (days.length - 0.5),
				M.top + plotH + 10,
				'centre',
			);
	}
	return encodePng(canvas);
}
