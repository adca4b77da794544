//! [`Table`]: a header and rows of text cells, read from the GitHub pipe tables the crate writes
//! (e.g. [`crate::forecast::markdown_table`]) and shown rendered in a notebook, as an HTML
//! `<table>`, instead of as raw pipe text.

use super::display::inline_html;
use super::evcxr_content;
use crate::{Error, Result};

/// Horizontal alignment of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    /// The viewer's default (`---`).
    #[default]
    Default,
    /// Left (`:---`).
    Left,
    /// Centred (`:---:`).
    Center,
    /// Right (`---:`).
    Right,
}

impl Align {
    fn css(self) -> Option<&'static str> {
        match self {
            Align::Default => None,
            Align::Left => Some("left"),
            Align::Center => Some("center"),
            Align::Right => Some("right"),
        }
    }
    fn delimiter(self) -> &'static str {
        match self {
            Align::Default => "---",
            Align::Left => ":---",
            Align::Center => ":---:",
            Align::Right => "---:",
        }
    }
}

/// A table of text cells: a header, one alignment per column, rows as wide as the header, and
/// an optional caption.
///
/// A pipe table is a header row, a delimiter row and body rows, each line starting with `|`:
///
/// ```text
/// | method | test MSE |        header
/// |:---|---:|                  delimiter: `---`, `:---` left, `---:` right, `:---:` centred
/// | RK4 | 1.2e-4 |             body rows: as many cells as the header
/// ```
///
/// Cells are split at every `|` not escaped as `\|`, and trimmed. Cells are markdown inline
/// text: `` `code` `` spans and `**bold**` are rendered, everything else is shown literally
/// (HTML-escaped).
///
/// ```
/// # fn main() -> hits::Result<()> {
/// use hits::plot::{Align, Table};
/// let t = Table::from_markdown("| step | MSE |\n|---|---:|\n| 1 | 1.0e-4 |\n| 2 | <3e-4 |\n")?;
/// assert_eq!(t.header(), ["step", "MSE"]);
/// assert_eq!(t.alignments(), [Align::Default, Align::Right]);
/// assert_eq!(t.rows()[1], ["2", "<3e-4"]);
/// let html = t.to_html();
/// assert!(html.contains("<td style=\"text-align: right\">&lt;3e-4</td>"));
/// assert_eq!(Table::from_markdown(&t.to_markdown())?, t);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    caption: Option<String>,
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names, default alignment and no rows.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        let header: Vec<String> = header.into_iter().map(Into::into).collect();
        let align = vec![Align::Default; header.len()];
        Table {
            caption: None,
            header,
            align,
            rows: Vec::new(),
        }
    }

    /// Read a GitHub pipe table (see the module docs); blank lines around it are ignored. Errors
    /// name the line: a line that is not a table row, a missing or malformed delimiter row, or a
    /// row whose cell count differs from the header's.
    pub fn from_markdown(markdown: &str) -> Result<Table> {
        let lines: Vec<(usize, &str)> = markdown
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .collect();
        Table::from_numbered_lines(&lines)
    }

    /// [`Table::from_markdown`] on lines numbered as in a larger text (for error messages).
    pub(crate) fn from_numbered_lines(lines: &[(usize, &str)]) -> Result<Table> {
        let lines: Vec<(usize, &str)> = lines
            .iter()
            .map(|&(n, l)| (n, l.trim()))
            .filter(|(_, l)| !l.is_empty())
            .collect();
        let bad = |msg: String| Error::invalid("markdown table", msg);
        if let Some((n, l)) = lines.iter().find(|(_, l)| !l.starts_with('|')) {
            return Err(bad(format!(
                "line {n} is not a table row (rows start with `|`): {l:?}"
            )));
        }
        let (header, delimiter) = match lines.as_slice() {
            [h, d, ..] => (h, d),
            [] => return Err(bad("no rows (expected a header and a delimiter row)".into())),
            [(n, _)] => {
                return Err(bad(format!(
                    "line {n} is a header with no delimiter row (`|---|---|`) below it"
                )))
            }
        };
        let mut table = Table::new(split_row(header.1));
        if table.header.is_empty() {
            return Err(bad(format!(
                "line {}: the header row has no cells",
                header.0
            )));
        }
        let delims = split_row(delimiter.1);
        if delims.len() != table.header.len() {
            return Err(bad(format!(
                "line {}: the delimiter row has {} cells, the header {}",
                delimiter.0,
                delims.len(),
                table.header.len()
            )));
        }
        for (col, d) in delims.iter().enumerate() {
            table.align[col] = parse_delimiter(d).ok_or_else(|| {
                bad(format!(
                    "line {}: delimiter cell {} is {d:?}, expected dashes with optional colons \
                     (`---`, `:---`, `---:`, `:---:`)",
                    delimiter.0,
                    col + 1
                ))
            })?;
        }
        for (n, line) in &lines[2..] {
            table.push_row(split_row(line)).map_err(|_| {
                bad(format!(
                    "line {n} has {} cells, the header {}: {line:?}",
                    split_row(line).len(),
                    table.header.len()
                ))
            })?;
        }
        Ok(table)
    }

    /// Append a row; it must have one cell per column.
    pub fn push_row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) -> Result<()> {
        let cells: Vec<String> = cells.into_iter().map(Into::into).collect();
        if cells.len() != self.header.len() {
            return Err(Error::shape(
                format!("table row {}", self.rows.len() + 1),
                format!("{} cells (one per column)", self.header.len()),
                format!("{} cells", cells.len()),
            ));
        }
        self.rows.push(cells);
        Ok(())
    }

    /// Set the alignment of column `col` (counted from 0; a column past the last is an error).
    pub fn align(mut self, col: usize, align: Align) -> Result<Table> {
        let n = self.header.len();
        let slot = self.align.get_mut(col).ok_or_else(|| {
            Error::invalid(
                "table column",
                format!("{col} is past the last of {n} columns"),
            )
        })?;
        *slot = align;
        Ok(self)
    }

    /// A caption shown above the table.
    pub fn caption(mut self, caption: impl Into<String>) -> Table {
        self.caption = Some(caption.into());
        self
    }

    /// The column names.
    pub fn header(&self) -> &[String] {
        &self.header
    }
    /// The alignment of each column.
    pub fn alignments(&self) -> &[Align] {
        &self.align
    }
    /// The body rows.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }
    /// The caption, if any.
    pub fn get_caption(&self) -> Option<&str> {
        self.caption.as_deref()
    }

    /// HTML: `<table>` with the caption, a `<thead>` row of `<th>` and a `<tbody>` of `<td>`
    /// rows; cells are rendered markdown inline text (escaped), aligned columns carry a
    /// `text-align` style.
    pub fn to_html(&self) -> String {
        let cell = |tag: &str, col: usize, text: &str| {
            let style = self.align[col]
                .css()
                .map(|a| format!(" style=\"text-align: {a}\""))
                .unwrap_or_default();
            format!("<{tag}{style}>{}</{tag}>", inline_html(text))
        };
        let mut html = String::from("<table>\n");
        if let Some(c) = &self.caption {
            html += &format!("<caption>{}</caption>\n", inline_html(c));
        }
        html += "<thead><tr>";
        for (col, h) in self.header.iter().enumerate() {
            html += &cell("th", col, h);
        }
        html += "</tr></thead>\n<tbody>\n";
        for row in &self.rows {
            html += "<tr>";
            for (col, text) in row.iter().enumerate() {
                html += &cell("td", col, text);
            }
            html += "</tr>\n";
        }
        html += "</tbody>\n</table>";
        html
    }

    /// The table as a GitHub pipe table (`|` in cells escaped as `\|`), the caption on a line
    /// of its own above it; [`Table::from_markdown`] reads the table part back unchanged.
    pub fn to_markdown(&self) -> String {
        let row = |cells: &mut dyn Iterator<Item = &str>| {
            let cells: Vec<String> = cells.map(|c| c.replace('|', "\\|")).collect();
            format!("| {} |\n", cells.join(" | "))
        };
        let mut md = String::new();
        if let Some(c) = &self.caption {
            md += &format!("{c}\n\n");
        }
        md += &row(&mut self.header.iter().map(String::as_str));
        md += &row(&mut self.align.iter().map(|a| a.delimiter()));
        for r in &self.rows {
            md += &row(&mut r.iter().map(String::as_str));
        }
        md
    }

    /// Show inline in an evcxr notebook: `text/html` (the rendered table) with the pipe table
    /// as the `text/plain` alternative.
    pub fn evcxr_display(&self) {
        println!(
            "{}\n{}",
            evcxr_content("text/html", self.to_html().as_bytes()),
            evcxr_content("text/plain", self.to_markdown().as_bytes())
        );
    }

    /// Show inline from anywhere in a notebook cell (same as [`Table::evcxr_display`]); one
    /// display per cell, see [`crate::plot::CellOutput`] for several.
    pub fn show(&self) {
        self.evcxr_display()
    }
}

/// The cells of one pipe-table line: split at unescaped `|` (outer pipes dropped), trimmed,
/// `\|` unescaped.
pub(crate) fn split_row(line: &str) -> Vec<String> {
    let line = line.trim();
    let inner = line.strip_prefix('|').unwrap_or(line);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    // text after the last pipe is a cell only when the row has no closing pipe
    if !cell.trim().is_empty() {
        cells.push(cell);
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

fn parse_delimiter(cell: &str) -> Option<Align> {
    let left = cell.starts_with(':');
    let right = cell.len() > 1 && cell.ends_with(':');
    let dashes = cell.trim_start_matches(':').trim_end_matches(':');
    if dashes.is_empty() || !dashes.chars().all(|c| c == '-') {
        return None;
    }
    Some(match (left, right) {
        (false, false) => Align::Default,
        (true, false) => Align::Left,
        (false, true) => Align::Right,
        (true, true) => Align::Center,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_at_unescaped_pipes_only() {
        assert_eq!(split_row("| a | b\\|c |  |"), ["a", "b|c", ""]);
        assert_eq!(split_row("|a|b"), ["a", "b"]);
        assert_eq!(split_row("| x |"), ["x"]);
    }

    #[test]
    fn delimiters_give_alignments() {
        let t = Table::from_markdown("|a|b|c|d|\n|---|:--|--:|:-:|\n").unwrap();
        use Align::*;
        assert_eq!(t.alignments(), [Default, Left, Right, Center]);
        assert!(t.rows().is_empty());
        assert_eq!(parse_delimiter(":"), None);
        assert_eq!(parse_delimiter("-x-"), None);
    }

    #[test]
    fn bad_tables_are_errors_naming_the_line() {
        let err = |md: &str| Table::from_markdown(md).unwrap_err().to_string();
        assert!(err("").contains("no rows"), "{}", err(""));
        assert!(err("| a |\n").contains("line 1 is a header with no delimiter"));
        assert!(err("\n|\n|\n").contains("line 2: the header row has no cells"));
        assert!(err("| a | b |\n| x | y |\n").contains("line 2: delimiter cell 1 is \"x\""));
        assert!(err("| a | b |\n|---|\n").contains("delimiter row has 1 cells, the header 2"));
        let e = err("| a | b |\n|---|---|\n| 1 | 2 |\n| 1 | 2 | 3 |\n");
        assert!(e.contains("line 4 has 3 cells, the header 2"), "{e}");
        let e = err("| a |\n|---|\nsome prose\n");
        assert!(e.contains("line 3 is not a table row"), "{e}");
        let mut t = Table::new(["a", "b"]);
        let e = t.push_row(["1"]).unwrap_err().to_string();
        assert!(e.contains("table row 1") && e.contains("2 cells"), "{e}");
        assert!(Table::new(["a"]).align(1, Align::Right).is_err());
    }

    #[test]
    fn html_escapes_cells_and_renders_code_spans() {
        let mut t = Table::new(["name", "value"]).caption("Table <1>");
        t.push_row(["`a<b`", "x & y"]).unwrap();
        let html = t.to_html();
        assert!(
            html.contains("<caption>Table &lt;1&gt;</caption>"),
            "{html}"
        );
        assert!(html.contains("<th>name</th><th>value</th>"), "{html}");
        assert!(
            html.contains("<td><code>a&lt;b</code></td><td>x &amp; y</td>"),
            "{html}"
        );
        assert!(!html.contains("a<b"));
    }

    #[test]
    fn markdown_round_trip_keeps_pipes_and_alignment() {
        let mut t = Table::new(["a|b", "c"]).align(1, Align::Center).unwrap();
        t.push_row(["1 | 2", ""]).unwrap();
        let md = t.to_markdown();
        assert_eq!(md, "| a\\|b | c |\n| --- | :---: |\n| 1 \\| 2 |  |\n");
        assert_eq!(Table::from_markdown(&md).unwrap(), t);
    }
}
