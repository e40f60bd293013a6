//! Quality values of content negotiation (RFC 9110 §12.4.2), shared by `Accept` (which pages
//! want HTML) and `Accept-Language` (the first visit's language).

/// A `q` parameter's value in thousandths: `0(.ddd)` or `1(.000)`; `None` for anything else.
pub fn parse_weight(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<3}").parse::<u16>().ok()?
    };
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The weight an element's parameters give it (`;q=0.5`, the name in any case, whitespace
/// around the `;`): 1000 without a `q`, `None` when the `q` is malformed (the element is then
/// ignored, as RFC 9110 leaves it to the recipient).
pub fn element_weight<'a>(parameters: impl Iterator<Item = &'a str>) -> Option<u16> {
    for parameter in parameters {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            return parse_weight(value.trim());
        }
    }
    Some(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_the_grammar() {
        assert_eq!(parse_weight("1"), Some(1000));
        assert_eq!(parse_weight("1.000"), Some(1000));
        assert_eq!(parse_weight("1."), Some(1000));
        assert_eq!(parse_weight("0.5"), Some(500));
        assert_eq!(parse_weight("0.05"), Some(50));
        assert_eq!(parse_weight("0"), Some(0));
        for bad in ["1.5", "2", "0.1234", "abc", "", "-0.5", ".5", "0.a"] {
            assert_eq!(parse_weight(bad), None, "{bad}");
        }
        assert_eq!(element_weight(["level=1", " Q=0.3"].into_iter()), Some(300));
        assert_eq!(element_weight(["q=x"].into_iter()), None);
        assert_eq!(element_weight([].into_iter()), Some(1000));
    }
}
