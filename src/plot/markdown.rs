//! The markdown the crate writes (reports such as `report_markdown()`, `tables_markdown()`)
//! rendered as HTML for notebook display: a small, documented subset of GitHub markdown, not a
//! general renderer.
//!
//! Blocks (one per group of lines):
//! - `#` .. `######` headings;
//! - pipe tables: consecutive lines starting with `|`, read by [`Table`](super::Table) (a
//!   malformed table is an error naming its line in the whole text);
//! - fenced code blocks between ```` ``` ```` lines, shown verbatim;
//! - bullet lists: lines starting with `- ` or `* ` (a following plain line continues the item);
//! - paragraphs: any other lines up to a blank line, joined with spaces.
//!
//! Inline text: `` `code` `` spans, `**bold**` and backslash escapes of punctuation (`\*`);
//! everything else is shown literally (HTML-escaped), so links or raw HTML appear as written.

use super::display::{escape_html, inline_html};
use super::table::Table;
use crate::Result;

/// Render `markdown` (the subset in the module docs) as HTML blocks, one per line.
///
/// ```
/// # fn main() -> hits::Result<()> {
/// let html = hits::plot::markdown::to_html("# Table 5\n\nMSE `1e-4`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")?;
/// assert!(html.starts_with("<h1>Table 5</h1>\n<p>MSE <code>1e-4</code>.</p>\n<table>"));
/// assert!(hits::plot::markdown::to_html("| a |\n| b |\n").is_err());
/// # Ok(())
/// # }
/// ```
pub fn to_html(markdown: &str) -> Result<String> {
    let lines: Vec<(usize, &str)> = markdown
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect();
    let mut blocks: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].1.trim();
        if line.is_empty() {
            i += 1;
        } else if line.starts_with("```") {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].1.trim().starts_with("```"))
                .unwrap_or(lines.len());
            let code: Vec<&str> = lines[i + 1..end].iter().map(|(_, l)| *l).collect();
            blocks.push(format!(
                "<pre><code>{}</code></pre>",
                escape_html(&code.join("\n"))
            ));
            i = end + 1;
        } else if let Some((level, text)) = heading(line) {
            blocks.push(format!("<h{level}>{}</h{level}>", inline_html(text)));
            i += 1;
        } else if line.starts_with('|') {
            let end = (i..lines.len())
                .find(|&j| !lines[j].1.trim().starts_with('|'))
                .unwrap_or(lines.len());
            blocks.push(Table::from_numbered_lines(&lines[i..end])?.to_html());
            i = end;
        } else if let Some(first) = list_item(line) {
            let mut items = vec![first.to_string()];
            i += 1;
            while i < lines.len() && starts_paragraph_line(lines[i].1) {
                let l = lines[i].1.trim();
                match (list_item(l), items.last_mut()) {
                    (Some(text), _) => items.push(text.to_string()),
                    (None, Some(last)) => {
                        last.push(' ');
                        last.push_str(l);
                    }
                    (None, None) => items.push(l.to_string()),
                }
                i += 1;
            }
            let lis: Vec<String> = items
                .iter()
                .map(|t| format!("<li>{}</li>", inline_html(t)))
                .collect();
            blocks.push(format!("<ul>{}</ul>", lis.join("")));
        } else {
            let mut text: Vec<&str> = Vec::new();
            while i < lines.len()
                && starts_paragraph_line(lines[i].1)
                && list_item(lines[i].1.trim()).is_none()
            {
                text.push(lines[i].1.trim());
                i += 1;
            }
            blocks.push(format!("<p>{}</p>", inline_html(&text.join(" "))));
        }
    }
    Ok(blocks.join("\n"))
}

/// A non-blank line that starts no block of its own (heading, table, fence).
fn starts_paragraph_line(line: &str) -> bool {
    let l = line.trim();
    !l.is_empty() && !l.starts_with('|') && !l.starts_with("```") && heading(l).is_none()
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    let rest = &line[level..];
    ((1..=6).contains(&level) && (rest.is_empty() || rest.starts_with(' ')))
        .then(|| (level, rest.trim()))
}

fn list_item(line: &str) -> Option<&str> {
    line.strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_headings_tables_lists_code_and_paragraphs() {
        let md = "# Figure 5 <KS>\n\nSome `text`\nwrapped.\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n- one\n  more\n* two\n\n```\nx < y\n```\n";
        let html = to_html(md).unwrap();
        let expected = [
            "<h1>Figure 5 &lt;KS&gt;</h1>",
            "<p>Some <code>text</code> wrapped.</p>",
            "<table>",
            "<td style=\"text-align: right\">2</td>",
            "<ul><li>one more</li><li>two</li></ul>",
            "<pre><code>x &lt; y</code></pre>",
        ];
        let mut at = 0;
        for e in expected {
            let pos = html[at..]
                .find(e)
                .unwrap_or_else(|| panic!("{e} after {at} in {html}"));
            at += pos + e.len();
        }
        assert!(!html.contains("| a |"), "{html}");
    }

    #[test]
    fn a_bad_table_names_its_line_in_the_whole_text() {
        let e = to_html("# T\n\ntext\n\n| a | b |\n|---|---|\n| 1 |\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 7 has 1 cells, the header 2"), "{e}");
    }
}
