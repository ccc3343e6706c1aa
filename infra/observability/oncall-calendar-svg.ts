/**
 * The on-call calendar as a picture (docs/oncall-calendar.svg in the release package): one row
 * per week, one cell per day with the primary and the secondary on call, cells with a gap in red.
 * Plain SVG with no scripts, fonts or links, so it opens anywhere offline and diffs as text.
 */
import type { CalendarDay, DaySlot } from "./oncall-calendar";

const CELL_W = 150;
const CELL_H = 64;
const HEAD_H = 48;
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** The part before @: a cell is too narrow for addresses. */
const short = (user: string) => user.split("@")[0] ?? user;

function who(slots: DaySlot[] | undefined): string {
  if (!slots || slots.length === 0) return "nobody";
  return slots.map((s) => short(s.user)).filter((u, i, all) => all.indexOf(u) === i).join(" → ");
}

export function renderCalendarSvg(title: string, days: CalendarDay[]): string {
  const keys = days.length > 0 ? Object.keys(days[0]!.oncall) : [];
  // Rows start on Monday: the first row is padded before the window's first day.
  const lead = days.length > 0 ? days[0]!.weekday - 1 : 0;
  const rows = Math.max(1, Math.ceil((lead + days.length) / 7));
  const width = CELL_W * 7 + 2;
  const height = HEAD_H + rows * CELL_H + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="4" y="16" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...WEEKDAYS.map((d, i) => `<text x="${1 + i * CELL_W + 6}" y="${HEAD_H - 8}" font-weight="bold">${d}</text>`),
  ];
  days.forEach((d, i) => {
    const slot = lead + i;
    const x = 1 + (slot % 7) * CELL_W;
    const y = HEAD_H + Math.floor(slot / 7) * CELL_H;
    const gap = keys.some((k) => (d.gaps[k] ?? []).length > 0);
    out.push(`<g data-date="${d.date}"${gap ? ' data-gap="true"' : ""}>`);
    out.push(`<rect x="${x}" y="${y}" width="${CELL_W}" height="${CELL_H}" fill="${gap ? "#fde2e1" : "#eef6ee"}" stroke="#999999"/>`);
    out.push(`<text x="${x + 6}" y="${y + 14}" font-weight="bold">${d.date}</text>`);
    keys.forEach((k, j) => out.push(`<text x="${x + 6}" y="${y + 30 + j * 14}">${esc(k.charAt(0).toUpperCase())}: ${esc(who(d.oncall[k]))}</text>`));
    if (gap) out.push(`<text x="${x + 6}" y="${y + CELL_H - 4}" fill="#b00020">gap: ${esc(keys.flatMap((k) => (d.gaps[k] ?? []).map((g) => `${k} ${g.from}-${g.to}`)).join(", "))}</text>`);
    out.push("</g>");
  });
  out.push(`<text x="4" y="${height - 10}" fill="#555555">${esc(keys.map((k) => `${k.charAt(0).toUpperCase()} = ${k}`).join(", "))}; red = nobody on call for part of the day</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
