//! Charts as SVG, drawn by the server like the rest of the page, so they are there without
//! JavaScript. Each is an image to assistive technology (`role="img"`) named by its title and
//! described by a one-sentence summary, with the figures as a table underneath. Colours come
//! from the theme's stylesheet (classes `series-1`…), so the charts follow the theme.

use leptos::prelude::*;

use crate::model::{format, Language};

/// One row of figures: its name (legend, table heading), its colour class and a value per
/// column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub name: String,
    pub class: &'static str,
    pub values: Vec<i64>,
}

impl Series {
    /// The sum, and the largest value with its column (the first of equals); `None` when all
    /// are zero.
    pub fn total_and_peak(&self) -> (i64, Option<(i64, usize)>) {
        let total = self.values.iter().sum();
        let peak =
            self.values
                .iter()
                .enumerate()
                .filter(|(_, &v)| v > 0)
                .fold(None, |best: Option<(i64, usize)>, (i, &v)| match best {
                    Some((max, _)) if max >= v => best,
                    _ => Some((v, i)),
                });
        (total, peak)
    }
}

/// The value axis's top and step: a round step (1, 2 or 5 × 10ⁿ) that reaches `max` in at
/// most four.
pub fn scale(max: i64) -> (i64, i64) {
    let max = max.max(1);
    let wanted = (max + 3) / 4;
    let mut magnitude = 1;
    while magnitude * 10 <= wanted {
        magnitude *= 10;
    }
    let step = [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= wanted)
        .unwrap_or(10 * magnitude);
    (step * ((max + step - 1) / step), step)
}

/// A column chart: one group of bars per column (an hour, a day), one bar per series.
pub struct Columns {
    /// Unique in the page: the ids of the title and the summary derive from it.
    pub id: &'static str,
    pub title: String,
    pub summary: String,
    /// The first column of the table (e.g. "Hour (UTC)").
    pub column_heading: String,
    /// Under the axis (short: `14:00`, `Nov 3`).
    pub labels: Vec<String>,
    /// In the table and the bars' tooltips.
    pub long_labels: Vec<String>,
    /// Every how many columns the axis has a label.
    pub label_every: usize,
    pub series: Vec<Series>,
}

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 46.0;
const RIGHT: f64 = 6.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;

fn px(v: f64) -> String {
    format!("{v:.1}")
}

#[component]
pub fn ColumnChart(chart: Columns, language: Language, table_toggle: String) -> AnyView {
    let Columns {
        id,
        title,
        summary,
        column_heading,
        labels,
        long_labels,
        label_every,
        series,
    } = chart;
    let columns = labels.len().max(1);
    let max = series.iter().flat_map(|s| s.values.iter().copied()).max().unwrap_or(0);
    let (top, step) = scale(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / columns as f64;
    let bar_w = slot * 0.8 / series.len().max(1) as f64;
    let y_of = |v: i64| TOP + plot_h - v as f64 / top as f64 * plot_h;

    let grid = (0..=top / step)
        .map(|k| {
            let v = k * step;
            let y = px(y_of(v));
            view! {
                <line class="grid" x1=px(LEFT) x2=px(WIDTH - RIGHT) y1=y.clone() y2=y.clone()/>
                <text class="axis" x=px(LEFT - 6.0) y=y dy="0.32em" text-anchor="end">{format::number(language, v)}</text>
            }
        })
        .collect_view();
    let axis_labels = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % label_every.max(1) == 0)
        .map(|(i, label)| {
            let x = px(LEFT + slot * (i as f64 + 0.5));
            view! { <text class="axis" x=x y=px(HEIGHT - 6.0) text-anchor="middle">{label.clone()}</text> }
        })
        .collect_view();
    let bars = series
        .iter()
        .enumerate()
        .flat_map(|(j, s)| {
            let long_labels = &long_labels;
            s.values.iter().enumerate().filter(|(_, &v)| v > 0).map(move |(i, &v)| {
                let x = LEFT + slot * i as f64 + slot * 0.1 + bar_w * j as f64;
                // At least a pixel, so a small figure next to a large one still shows.
                let h = (v as f64 / top as f64 * plot_h).max(1.0);
                let tip = format!(
                    "{} · {}: {}",
                    long_labels.get(i).map_or("", String::as_str),
                    s.name,
                    format::number(language, v)
                );
                view! {
                    <rect class=s.class x=px(x) y=px(TOP + plot_h - h) width=px(bar_w.max(1.0)) height=px(h)>
                        <title>{tip}</title>
                    </rect>
                }
            })
        })
        .collect_view();
    let table_rows = long_labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            view! {
                <tr>
                    <th scope="row">{label.clone()}</th>
                    {series
                        .iter()
                        .map(|s| view! { <td>{format::number(language, s.values.get(i).copied().unwrap_or(0))}</td> })
                        .collect_view()}
                </tr>
            }
        })
        .collect_view();
    let table_head = view! {
        <th scope="col">{column_heading}</th>
        {series.iter().map(|s| view! { <th scope="col">{s.name.clone()}</th> }).collect_view()}
    };
    framed(Frame {
        id,
        title,
        summary,
        svg_class: "chart-svg",
        height: HEIGHT,
        drawing: view! {
            {grid}
            <line class="baseline" x1=px(LEFT) x2=px(WIDTH - RIGHT) y1=px(TOP + plot_h) y2=px(TOP + plot_h)/>
            {bars}
            {axis_labels}
        }
        .into_any(),
        legend: Some(view! { <Legend series/> }.into_any()),
        table_toggle,
        table_head: table_head.into_any(),
        table_rows: table_rows.into_any(),
    })
}

/// What every chart has around its drawing: a titled figure whose SVG is an image to
/// assistive technology (`role="img"`) named by the title and described by `summary`, an
/// optional legend, and the figures as a table under a toggle (`<details>`: no JavaScript).
struct Frame {
    id: &'static str,
    title: String,
    summary: String,
    svg_class: &'static str,
    /// The SVG's height in its own units (its width is [`WIDTH`]).
    height: f64,
    drawing: AnyView,
    legend: Option<AnyView>,
    table_toggle: String,
    /// The cells of the table's heading row.
    table_head: AnyView,
    table_rows: AnyView,
}

fn framed(frame: Frame) -> AnyView {
    let Frame {
        id,
        title,
        summary,
        svg_class,
        height,
        drawing,
        legend,
        table_toggle,
        table_head,
        table_rows,
    } = frame;
    let (title_id, desc_id) = (format!("{id}-title"), format!("{id}-desc"));
    let labelled_by = format!("{title_id} {desc_id}");
    view! {
        <figure class="chart" data-testid=id>
            <figcaption><h3 id=title_id.clone()>{title.clone()}</h3></figcaption>
            <svg
                class=svg_class
                viewBox=format!("0 0 {WIDTH} {height}")
                role="img"
                aria-labelledby=labelled_by
            >
                <desc id=desc_id>{summary}</desc>
                {drawing}
            </svg>
            {legend}
            <details class="chart-table">
                <summary>{table_toggle}</summary>
                <div class="table-wrap">
                    <table>
                        <caption class="visually-hidden">{title}</caption>
                        <thead>
                            <tr>{table_head}</tr>
                        </thead>
                        <tbody>{table_rows}</tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
    // Boxed: the admin page puts several charts in one view, and their nested types would
    // otherwise overflow rustc's query depth in a release build (no `erase_components`).
    .into_any()
}

#[component]
fn Legend(series: Vec<Series>) -> impl IntoView {
    view! {
        <ul class="legend" aria-hidden="true">
            {series
                .into_iter()
                .map(|s| view! { <li><span class=format!("swatch {}", s.class)></span>{s.name}</li> })
                .collect_view()}
        </ul>
    }
}

/// A bar chart of named values, largest first (the most visited pages).
pub struct Ranking {
    pub id: &'static str,
    pub title: String,
    pub summary: String,
    pub name_heading: String,
    pub value_heading: String,
    /// (name, value), largest first.
    pub rows: Vec<(String, i64)>,
}

const ROW_H: f64 = 28.0;
const NAME_W: f64 = 200.0;
/// Names longer than this are cut in the chart (the table and the tooltip have them whole).
const NAME_CHARS: usize = 24;

#[component]
pub fn RankingChart(chart: Ranking, language: Language, table_toggle: String) -> AnyView {
    let Ranking {
        id,
        title,
        summary,
        name_heading,
        value_heading,
        rows,
    } = chart;
    let height = ROW_H * rows.len().max(1) as f64;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    // Room after the longest bar for its figure.
    let bar_room = WIDTH - NAME_W - 60.0;
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let y = ROW_H * i as f64;
            let w = (*value as f64 / max as f64 * bar_room).max(1.0);
            let shown = if name.chars().count() > NAME_CHARS {
                format!("{}…", name.chars().take(NAME_CHARS - 1).collect::<String>())
            } else {
                name.clone()
            };
            let figure = format::number(language, *value);
            view! {
                <g>
                    <title>{format!("{name}: {figure}")}</title>
                    <text class="axis name" x="0" y=px(y + ROW_H / 2.0) dy="0.32em">{shown}</text>
                    <rect class="series-1" x=px(NAME_W) y=px(y + 4.0) width=px(w) height=px(ROW_H - 8.0)/>
                    <text class="axis" x=px(NAME_W + w + 6.0) y=px(y + ROW_H / 2.0) dy="0.32em">{figure.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let table_rows = rows
        .into_iter()
        .map(|(name, value)| {
            view! {
                <tr><th scope="row"><code class="path">{name}</code></th><td>{format::number(language, value)}</td></tr>
            }
        })
        .collect_view();
    framed(Frame {
        id,
        title,
        summary,
        svg_class: "chart-svg ranking",
        height,
        drawing: bars.into_any(),
        legend: None,
        table_toggle,
        table_head: view! { <th scope="col">{name_heading}</th><th scope="col">{value_heading}</th> }.into_any(),
        table_rows: table_rows.into_any(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_uses_round_steps_that_reach_the_maximum() {
        assert_eq!(scale(0), (1, 1));
        assert_eq!(scale(1), (1, 1));
        assert_eq!(scale(4), (4, 1));
        assert_eq!(scale(7), (8, 2));
        assert_eq!(scale(10), (10, 5));
        assert_eq!(scale(37), (40, 10));
        assert_eq!(scale(100), (100, 50));
        assert_eq!(scale(101), (150, 50));
        assert_eq!(scale(12_345), (15_000, 5_000));
        for max in 1..2_000 {
            let (top, step) = scale(max);
            assert!(top >= max && top / step <= 4 && top % step == 0, "{max}: {top} {step}");
        }
    }

    #[test]
    fn the_peak_is_the_first_largest_value() {
        let s = Series {
            name: "x".into(),
            class: "series-1",
            values: vec![0, 3, 5, 5, 1],
        };
        assert_eq!(s.total_and_peak(), (14, Some((5, 2))));
        let zero = Series {
            values: vec![0, 0],
            ..s
        };
        assert_eq!(zero.total_and_peak(), (0, None));
    }
}
