/* profile_svg.c - the plot of `mlrun profile --plot`: an SVG written directly (no dependency),
 * a memory panel above a CPU panel over one time axis, with the peak, the mean and the exit
 * marked. Coordinates are in px of a fixed canvas; values map linearly onto each panel. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "../lib/num.h"
#include "profile.h"

#define MiB 1048576.0

#define SVG_W 900
#define SVG_H 640
#define PLOT_LEFT 84
#define PLOT_RIGHT (SVG_W - 36)
#define PANEL_H 200
#define PANEL_TOP0 110 /* top edge of the memory panel's plot area; the CPU panel is below it */
#define PANEL_STEP 276
#define TITLE_MAX 72 /* bytes of the command in the title (monospace, fits the width) */

struct scale {
	double max, step;
};

struct panel {
	const char *title, *color;
	bool memory; /* else CPU %, drawn as steps: each value is the mean over the interval before it */
	double top;
	struct scale y;
};

/* 0..max in about target steps of 1, 2 or 5 times a power of ten (the nearest to max/target),
 * max rounded up to a step. */
static struct scale nice_scale(double max, int target)
{
	double raw = (max > 0 ? max : 1) / target, mag = num_pow10_floor(raw), f = raw / mag;
	double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
	return (struct scale){ .max = num_max(step, num_ceil(max / step - 1e-9) * step), .step = step };
}

static double px_x(const struct scale *x, double ms) { return PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * ms / 1e3 / x->max; }
static double px_y(const struct panel *pn, double v) { return pn->top + PANEL_H * (1 - v / pn->y.max); }
/* Digits after the point that tick labels of this step need (0.2 -> 1, 0.05 -> 2). */
static int decimals(double step)
{
	int d = 0;
	for (; step < 1 - 1e-9 && d < 15; d++)
		step *= 10;
	return d;
}

static double value(const struct panel *pn, const struct profile_sample *x)
{
	return pn->memory ? (double)x->memory_bytes / MiB : x->cpu_percent;
}

/* The command as title text: joined, XML-escaped, control characters (a -c script's newlines)
 * as spaces, cut at TITLE_MAX bytes on a character boundary. */
static void svg_command(FILE *f, char **argv)
{
	char cmd[TITLE_MAX + 8] = "";
	size_t len = 0, cut;
	for (char **a = argv; *a && len < sizeof(cmd) - 1; a++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "%s%s", len ? " " : "", *a);
	len = strlen(cmd);
	cut = len > TITLE_MAX ? TITLE_MAX : len;
	while (cut < len && ((unsigned char)cmd[cut] & 0xC0) == 0x80) /* inside a UTF-8 character */
		cut--;
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)cmd[i];
		if (c == '&' || c == '<' || c == '>')
			fputs(c == '&' ? "&amp;" : c == '<' ? "&lt;" : "&gt;", f);
		else
			fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
	}
	fputs(cut < len ? "…" : "", f);
}

static void svg_header(FILE *f, const struct profile_timeline *t)
{
	fprintf(f, "<?xml version='1.0' encoding='UTF-8'?>\n"
		   "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d'>\n"
		   "<style>text{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;fill:#222}"
		   ".t{font-size:16px;font-weight:bold}.c{font-family:'DejaVu Sans Mono',monospace;font-weight:normal}"
		   ".s{font-size:12px;fill:#666}.pt{font-size:14px;font-weight:bold}.tick{font-size:11px;fill:#555}"
		   ".note{font-size:11px;fill:#333;paint-order:stroke;stroke:#fff;stroke-width:3px}"
		   ".grid{stroke:#e8e8e8}.frame{fill:none;stroke:#aaa}.ref{stroke:#777;stroke-dasharray:4 3}</style>\n"
		   "<rect width='100%%' height='100%%' fill='#fff'/>\n"
		   "<text class='t' x='%d' y='34'>mlrun profile: <tspan class='c'>",
		SVG_W, SVG_H, SVG_W, SVG_H, PLOT_LEFT);
	svg_command(f, t->command);
	fprintf(f, "</tspan></text>\n<text class='s' x='%d' y='56'>%s · %.2f s · %zu samples every %llu ms from %s · "
		   "exit %d</text>\n",
		PLOT_LEFT, t->id, t->summary.duration_ms / 1e3, t->n, (unsigned long long)t->interval_ms,
		profile_source_name(t), t->summary.exit_code);
}

/* Title, grid, ticks and labels of one panel: values up the left, seconds along the bottom. */
static void svg_axes(FILE *f, const struct panel *pn, const struct scale *x)
{
	double bottom = pn->top + PANEL_H;
	fprintf(f, "<text class='pt' x='%d' y='%.0f'>%s</text>\n", PLOT_LEFT, pn->top - 12, pn->title);
	for (int i = 0; i * pn->y.step <= pn->y.max * (1 + 1e-9); i++) {
		double v = i * pn->y.step, py = px_y(pn, v);
		fprintf(f, "<line class='grid' x1='%d' y1='%.1f' x2='%d' y2='%.1f'/><text class='tick' x='%d' y='%.1f' "
			   "text-anchor='end'>%.*f</text>\n",
			PLOT_LEFT, py, PLOT_RIGHT, py, PLOT_LEFT - 8, py + 4, decimals(pn->y.step), v);
	}
	for (int i = 0; i * x->step <= x->max * (1 + 1e-9); i++) {
		double s = i * x->step, px = px_x(x, s * 1e3);
		fprintf(f, "<line class='grid' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/><line class='frame' x1='%.1f' "
			   "y1='%.1f' x2='%.1f' y2='%.1f'/><text class='tick' x='%.1f' y='%.1f' text-anchor='middle'>%.*f</text>\n",
			px, pn->top, px, bottom, px, bottom, px, bottom + 5, px, bottom + 18, decimals(x->step), s);
	}
	fprintf(f, "<rect class='frame' x='%d' y='%.1f' width='%d' height='%d'/>\n", PLOT_LEFT, pn->top,
		PLOT_RIGHT - PLOT_LEFT, PANEL_H);
}

/* The series as a line, or (area) as the region under it. */
static void svg_series(FILE *f, const struct profile_timeline *t, const struct panel *pn, const struct scale *x, bool area)
{
	const struct profile_sample *v = t->v;
	double base = px_y(pn, 0), prev_ms = pn->memory ? v[0].elapsed_ms : 0;
	fprintf(f, "<path d='M%.1f,%.1f", px_x(x, prev_ms), area ? base : px_y(pn, value(pn, &v[0])));
	for (size_t i = 0; i < t->n; i++) {
		double y = px_y(pn, value(pn, &v[i]));
		if (!pn->memory)
			fprintf(f, " L%.1f,%.1f", px_x(x, prev_ms), y);
		fprintf(f, " L%.1f,%.1f", px_x(x, v[i].elapsed_ms), y);
		prev_ms = v[i].elapsed_ms;
	}
	if (area)
		fprintf(f, " L%.1f,%.1f Z' fill='%s' fill-opacity='0.15' stroke='none'/>\n", px_x(x, prev_ms), base, pn->color);
	else
		fprintf(f, "' fill='none' stroke='%s' stroke-width='1.8' stroke-linejoin='round'/>\n", pn->color);
}

/* A note at (x, y) anchored so that it stays inside the plot area. */
static void svg_note(FILE *f, double x, double y, const char *text)
{
	const char *anchor = x > PLOT_RIGHT - 90 ? "end" : x < PLOT_LEFT + 90 ? "start" : "middle";
	fprintf(f, "<text class='note' x='%.1f' y='%.1f' text-anchor='%s'>%s</text>\n", x, y, anchor, text);
}

/* The memory peak, the mean CPU and the end of the run. */
static void svg_marks(FILE *f, const struct profile_summary *s, const struct panel *mem, const struct panel *cpu,
		      const struct scale *x)
{
	char text[80];
	double cx = px_x(x, s->memory_peak_at_ms), cy = px_y(mem, (double)s->memory_peak_bytes / MiB);
	snprintf(text, sizeof(text), "peak %.1f MiB at %.2f s", (double)s->memory_peak_bytes / MiB,
		 s->memory_peak_at_ms / 1e3);
	fprintf(f, "<circle cx='%.1f' cy='%.1f' r='3.5' fill='%s'/>\n", cx, cy, mem->color);
	svg_note(f, cx, cy - 9, text);
	double y = px_y(cpu, s->cpu_mean_percent);
	snprintf(text, sizeof(text), "mean %.1f%%", s->cpu_mean_percent);
	fprintf(f, "<line class='ref' x1='%d' y1='%.1f' x2='%d' y2='%.1f'/>\n", PLOT_LEFT, y, PLOT_RIGHT, y);
	svg_note(f, PLOT_RIGHT - 4, y - 5, text);
	double ex = px_x(x, s->duration_ms);
	snprintf(text, sizeof(text), "exit %d at %.2f s", s->exit_code, s->duration_ms / 1e3);
	for (int i = 0; i < 2; i++) {
		double top = (i ? cpu : mem)->top;
		fprintf(f, "<line class='ref' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/>\n", ex, top, ex, top + PANEL_H);
	}
	svg_note(f, ex - 4, mem->top + 14, text);
}

void profile_write_svg(FILE *f, const struct profile_timeline *t)
{
	const struct profile_summary *s = &t->summary;
	struct scale x = nice_scale(s->duration_ms / 1e3, 8);
	struct panel mem = { "Memory (MiB)", "#1f77b4", true, PANEL_TOP0,
			     nice_scale(num_max(1, (double)s->memory_peak_bytes / MiB * 1.12), 6) };
	struct panel cpu = { "CPU (% of one core)", "#d95f02", false, PANEL_TOP0 + PANEL_STEP,
			     nice_scale(num_max(100, s->cpu_peak_percent * 1.05), 5) };
	svg_header(f, t);
	svg_axes(f, &mem, &x);
	svg_axes(f, &cpu, &x);
	for (int area = 1; t->n && area >= 0; area--) {
		svg_series(f, t, &mem, &x, area);
		svg_series(f, t, &cpu, &x, area);
	}
	if (t->n)
		svg_marks(f, s, &mem, &cpu, &x);
	else
		svg_note(f, (PLOT_LEFT + PLOT_RIGHT) / 2.0, PANEL_TOP0 + PANEL_H / 2.0, "no samples: the run ended first");
	fprintf(f, "<text class='tick' x='%d' y='%.0f' text-anchor='middle'>time (s)</text>\n</svg>\n",
		(PLOT_LEFT + PLOT_RIGHT) / 2, cpu.top + PANEL_H + 40);
}

