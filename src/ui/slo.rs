//! The SLO panel: per SLO its budget left and policy tier, an error-ratio sparkline over
//! the history, and the burn rates.

use super::canvas::Canvas;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::{objective, percent, styled};
use crate::slo::{PolicyTier, SloStatus};
use crate::sources::prometheus as prom;
use crate::sources::timing::Age;
use crate::state::{Mode, State};
use crate::theme::Theme;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// A 1 h burn rate at which a page fires (2 % of a 30-day budget in an hour).
const PAGE_BURN: f64 = 14.4;
/// A 6 h burn rate that warrants a ticket.
const TICKET_BURN: f64 = 6.0;

fn tier_style(theme: &Theme, t: PolicyTier) -> Style {
    match t {
        PolicyTier::Normal => theme.ok,
        PolicyTier::Review => theme.warn,
        PolicyTier::SlowDown | PolicyTier::Freeze => theme.over,
    }
}

fn burn_style(theme: &Theme, burn: f64) -> Style {
    if burn >= PAGE_BURN {
        theme.over
    } else if burn >= TICKET_BURN {
        theme.warn
    } else {
        theme.ok
    }
}

/// The series squeezed into `width` columns (each column the worst value of its slice),
/// scaled so that "exactly on budget" is a low bar and spikes stand out.
pub fn sparkline(series: &[f64], width: usize, budget: f64) -> String {
    if series.is_empty() || width == 0 {
        return String::new();
    }
    let cols = width.min(series.len());
    let per = series.len() as f64 / cols as f64;
    let buckets: Vec<f64> = (0..cols)
        .map(|c| {
            let a = (c as f64 * per) as usize;
            let b = (((c + 1) as f64 * per) as usize).clamp(a + 1, series.len());
            series[a..b].iter().copied().fold(0.0, f64::max)
        })
        .collect();
    let top = buckets.iter().copied().fold(budget * 2.0, f64::max);
    buckets
        .iter()
        .map(|v| {
            let i = ((v / top) * 7.0).round().clamp(0.0, 7.0) as usize;
            BARS[i]
        })
        .collect()
}

/// Selection marker, name, and objective over its window: how every SLO row starts.
fn title_spans<'a>(
    s: &SloStatus,
    selected: bool,
    name_style: Style,
    theme: &Theme,
) -> Vec<Span<'a>> {
    vec![
        styled(if selected { "▸ " } else { "  " }, theme.key),
        styled(s.name.clone(), name_style),
        styled(
            format!(
                "  {}/{}d  ",
                objective(s.objective),
                s.window.as_secs() / 86_400
            ),
            theme.dim,
        ),
    ]
}

fn slo_lines<'a>(s: &SloStatus, width: usize, selected: bool, theme: &Theme) -> [Line<'a>; 3] {
    let tier = s.tier();
    let name_style = if selected { theme.header } else { theme.base };
    if let Some(e) = &s.error {
        return [
            Line::from({
                let mut spans = title_spans(s, selected, name_style, theme);
                spans.push(styled("[QUERY FAILED]", theme.error));
                spans
            }),
            Line::from(vec![Span::raw("  "), styled(e.clone(), theme.error)]),
            Line::from(styled("  fix the query in the SLO spec", theme.dim)),
        ];
    }
    let mut head = title_spans(s, selected, name_style, theme);
    head.extend([
        styled(format!("[{}]", tier.label()), tier_style(theme, tier)),
        styled(
            format!("  avail {:.3}%", s.availability() * 100.0),
            if s.availability() >= s.objective {
                theme.dim
            } else {
                theme.over
            },
        ),
    ]);
    if s.partial {
        head.push(styled(" PARTIAL", theme.stale));
    }

    let history = Age(s.step * s.series.len() as u32);
    let mut tail = format!(" now {}  ({history})", percent(s.error_ratio_now));
    if let Some(l) = s.latency_p99 {
        tail.push_str(&format!(" p99 {}", latency(l)));
    }
    let spark_w = width.saturating_sub(2 + tail.chars().count()).max(4);
    let spark = vec![
        Span::raw("  "),
        styled(
            sparkline(&s.series, spark_w, crate::slo::budget_ratio(s.objective)),
            theme.sparkline,
        ),
        styled(tail, theme.dim),
    ];
    let mut burn = vec![
        styled("  budget ", theme.dim),
        styled(
            format!("{} left", percent(s.budget_remaining)),
            tier_style(theme, tier),
        ),
        styled(" · burn 1h ", theme.dim),
        styled(format!("{:.1}×", s.burn_1h), burn_style(theme, s.burn_1h)),
    ];
    if s.burn_1h >= PAGE_BURN {
        burn.push(styled(" PAGE", theme.over));
    }
    burn.push(styled(" · 6h ", theme.dim));
    burn.push(styled(
        format!("{:.1}×", s.burn_6h),
        burn_style(theme, s.burn_6h),
    ));
    match s.exhaustion() {
        Some(d) if d.is_zero() => burn.push(styled(" · budget spent", theme.over)),
        Some(d) => burn.push(styled(format!(" · gone in {}", Age(d)), theme.warn)),
        None => {}
    }
    [Line::from(head), Line::from(spark), Line::from(burn)]
}

/// Seconds as ms below a second.
pub fn latency(secs: f64) -> String {
    if secs < 1.0 {
        format!("{:.0}ms", secs * 1000.0)
    } else {
        format!("{secs:.2}s")
    }
}

pub fn draw<'a>(frame: &mut Canvas<'a>, area: Rect, state: &'a State, theme: &'a Theme) {
    let area = match super::alerts::stale_line(state, prom::SOURCE, theme) {
        Some(line) => {
            let [top, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
            frame.render_widget(Paragraph::new(line), top);
            rest
        }
        None => area,
    };
    if state.slos.is_empty() {
        let configured = state.sources.iter().any(|s| s.name == prom::SOURCE);
        let text = match state.mode {
            Mode::Live if configured => {
                "Waiting for SLO data… (no SLOs? list Sloth spec files under `slo_specs:`)"
            }
            Mode::Live => {
                "No SLOs configured: set `prometheus: { url: ... }` and `slo_specs: [...]` in the config file (docs/config.md), or try `warroom --demo`."
            }
            Mode::Demo => "Waiting for SLO data…",
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.dim)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let per = 4usize;
    let fit = (area.height as usize / per).max(1);
    // Keep the selected SLO on screen.
    let first = state.slo_selected.saturating_sub(fit - 1);
    let mut lines = Vec::new();
    for (i, s) in state.slos.iter().enumerate().skip(first).take(fit) {
        lines.extend(slo_lines(
            s,
            area.width as usize,
            i == state.slo_selected,
            theme,
        ));
        lines.push(Line::default());
    }
    frame.render_widget(Paragraph::new(lines), area);
}

pub fn summary<'a>(state: &'a State, theme: &Theme) -> Vec<Span<'a>> {
    let Some(worst) = state
        .slos
        .iter()
        .min_by(|a, b| a.budget_remaining.total_cmp(&b.budget_remaining))
    else {
        return vec![styled("no SLO data", theme.dim)];
    };
    let hottest = state.slos.iter().map(|s| s.burn_1h).fold(0.0, f64::max);
    vec![
        styled("lowest budget ", theme.dim),
        styled(
            format!("{} {} ", worst.name, percent(worst.budget_remaining)),
            tier_style(theme, worst.tier()),
        ),
        styled(
            format!("[{}]", worst.tier().label()),
            tier_style(theme, worst.tier()),
        ),
        styled(" · burn 1h ", theme.dim),
        styled(format!("{hottest:.1}×"), burn_style(theme, hottest)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_downsamples_keeping_spikes() {
        let mut series = vec![0.0005; 360];
        series[350] = 0.02;
        let s = sparkline(&series, 36, 0.001);
        assert_eq!(s.chars().count(), 36);
        assert_eq!(s.chars().last(), Some('█'));
        assert!(s.chars().take(30).all(|c| c == '▁' || c == '▂'));
        assert_eq!(sparkline(&[], 10, 0.001), "");
    }
}
