/** The fine-tuning panel's loss curve on a canvas: axes, the first and last step, the range. */
export function drawLossPlot(canvas: HTMLCanvasElement, losses: readonly number[]): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width: W, height: H } = canvas;
  g.clearRect(0, 0, W, H);
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  g.fillStyle = g.strokeStyle = dark ? '#cbd5e0' : '#4a5568';
  g.font = '12px system-ui, sans-serif';
  const L = 48;
  const R = 10;
  const T = 12;
  const B = 26;
  g.beginPath();
  g.moveTo(L, T);
  g.lineTo(L, H - B);
  g.lineTo(W - R, H - B);
  g.stroke();
  g.fillText('loss', 6, T + 4);
  g.fillText('step', W - R - 26, H - 6);
  if (losses.length === 0) return;
  const lo = Math.min(...losses, 0);
  const hi = Math.max(...losses) * 1.05 || 1;
  const n = losses.length;
  const x = (i: number) => L + ((W - L - R) * (n === 1 ? 0.5 : i / (n - 1)));
  const y = (v: number) => H - B - ((H - B - T) * (v - lo)) / (hi - lo || 1);
  g.fillText(hi.toPrecision(3), 4, T + 14);
  g.fillText(lo.toPrecision(2), 4, H - B);
  g.fillText(`1`, L, H - 8);
  g.fillText(String(n), W - R - 50, H - 8);
  g.strokeStyle = '#2b6cb0';
  g.fillStyle = '#2b6cb0';
  g.lineWidth = 2;
  g.beginPath();
  losses.forEach((v, i) => (i === 0 ? g.moveTo(x(i), y(v)) : g.lineTo(x(i), y(v))));
  g.stroke();
  losses.forEach((v, i) => g.fillRect(x(i) - 2, y(v) - 2, 4, 4));
  g.lineWidth = 1;
}
