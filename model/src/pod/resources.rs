//! Container resources as the kubelet reads them: cpu and memory requests and limits (Kubernetes
//! quantities), and the resize policy of in-place pod vertical scaling (KEP-1287).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::shared_str::SharedStr;

/// The largest decimal exponent a quantity may carry (`1e30` and beyond are refused): far above any
/// real cpu or memory amount, and small enough that nano-units never overflow.
const MAX_EXPONENT: i32 = 27;

/// A Kubernetes quantity (`100m`, `128Mi`, `1G`, `1.5`, `2e3`), kept exactly in nano-units, as
/// `resource.Quantity` keeps it (precision below a nano-unit rounds up, as `resource.MustParse` does).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Quantity {
    text: SharedStr,
    nanos: i128,
}

impl Quantity {
    /// Parses the API's quantity syntax: an optionally signed decimal number followed by a binary SI
    /// suffix (`Ki`..`Ei`), a decimal SI suffix (`n`, `u`, `m`, `k`, `M`..`E`) or a decimal exponent
    /// (`e3`, `E-2`).
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let nanos = parse_nanos(text).ok_or_else(|| format!("{text:?} is not a valid quantity"))?;
        Ok(Quantity { text: text.into(), nanos })
    }

    /// The quantity as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `Quantity.MilliValue()`: thousandths, rounded up (cpu in millicores).
    pub fn milli_value(&self) -> i64 {
        saturate(div_ceil(self.nanos, 1_000_000))
    }

    /// `Quantity.Value()`: whole units, rounded up (memory in bytes).
    pub fn value(&self) -> i64 {
        saturate(div_ceil(self.nanos, 1_000_000_000))
    }

    /// Whether it is below zero.
    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// Compares the amounts (not the spelling).
    pub fn amount_cmp(&self, other: &Quantity) -> std::cmp::Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

fn saturate(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

fn div_ceil(n: i128, d: i128) -> i128 {
    let q = n.div_euclid(d);
    if n.rem_euclid(d) == 0 {
        q
    } else {
        q + 1
    }
}

/// The value in nano-units, rounded up; `None` if the text is not a quantity or is out of range.
fn parse_nanos(text: &str) -> Option<i128> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_end);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return None;
    }
    let mantissa: i128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    let frac_len = i32::try_from(frac_part.len()).ok()?;
    let (binary_shift, exponent) = suffix_scale(suffix)?;
    // value = mantissa * 2^binary_shift * 10^(exponent - frac_len); in nano-units, 10^9 more.
    let scaled = mantissa.checked_mul(1i128.checked_shl(binary_shift)?)?;
    let power = exponent - frac_len + 9;
    let nanos = if power >= 0 {
        scaled.checked_mul(10i128.checked_pow(u32::try_from(power).ok()?)?)?
    } else {
        let divisor = 10i128.checked_pow(u32::try_from(-power).ok()?)?;
        div_ceil(scaled, divisor)
    };
    // Larger than any int64 value the API can hold: out of range.
    if nanos / 1_000_000_000 > i128::from(i64::MAX) {
        return None;
    }
    Some(if negative { -nanos } else { nanos })
}

/// The suffix as (binary shift, decimal exponent).
fn suffix_scale(suffix: &str) -> Option<(u32, i32)> {
    let scale = match suffix {
        "" => (0, 0),
        "Ki" => (10, 0),
        "Mi" => (20, 0),
        "Gi" => (30, 0),
        "Ti" => (40, 0),
        "Pi" => (50, 0),
        "Ei" => (60, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        _ => {
            // `interpret`: a decimal exponent is `e` or `E` and what `strconv.ParseInt` reads, with no
            // limit on its digits ("1e0001" is 10).
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let signless = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if signless.is_empty() || !signless.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value: i32 = exp.parse().ok()?;
            if value.abs() > MAX_EXPONENT {
                return None;
            }
            (0, value)
        }
    };
    Some(scale)
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// A quantity in YAML or JSON: a string (`"100m"`), or a bare number (`1`, `0.5`), as the API takes.
#[derive(Deserialize)]
#[serde(untagged)]
enum QuantityText {
    Text(String),
    Int(i64),
    Float(f64),
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Quantity, D::Error> {
        let text = match QuantityText::deserialize(deserializer)? {
            QuantityText::Text(t) => t,
            QuantityText::Int(i) => i.to_string(),
            QuantityText::Float(x) => x.to_string(),
        };
        Quantity::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The two resources whose values the kubelet resizes in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ResourceName {
    /// `cpu`.
    #[serde(rename = "cpu")]
    Cpu,
    /// `memory`.
    #[serde(rename = "memory")]
    Memory,
}

/// A `ResourceList` reduced to cpu and memory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceList {
    /// `cpu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    /// `memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
}

impl ResourceList {
    /// Neither cpu nor memory.
    pub fn is_empty(&self) -> bool {
        self.cpu.is_none() && self.memory.is_none()
    }

    /// The quantity of one resource.
    pub fn get(&self, name: ResourceName) -> Option<&Quantity> {
        match name {
            ResourceName::Cpu => self.cpu.as_ref(),
            ResourceName::Memory => self.memory.as_ref(),
        }
    }

    /// `ResourceList.Cpu().MilliValue()`: 0 when unset.
    pub fn cpu_milli(&self) -> i64 {
        self.cpu.as_ref().map_or(0, Quantity::milli_value)
    }

    /// `ResourceList.Memory().Value()`: 0 when unset.
    pub fn memory_bytes(&self) -> i64 {
        self.memory.as_ref().map_or(0, Quantity::value)
    }
}

/// A container's `resources`: requests and limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceRequirements {
    /// `requests`.
    #[serde(default, skip_serializing_if = "ResourceList::is_empty")]
    pub requests: ResourceList,
    /// `limits`.
    #[serde(default, skip_serializing_if = "ResourceList::is_empty")]
    pub limits: ResourceList,
}

impl ResourceRequirements {
    /// No request and no limit (a best-effort container).
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.limits.is_empty()
    }
}

/// `ResourceResizeRestartPolicy`: what a change of one resource does to a running container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ResizeRestartPolicy {
    /// The resource is resized in place (the default).
    NotRequired,
    /// The container is restarted to apply the new value.
    RestartContainer,
}

/// One `resizePolicy` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerResizePolicy {
    /// `resourceName`.
    pub resource_name: ResourceName,
    /// `restartPolicy`.
    pub restart_policy: ResizeRestartPolicy,
}

/// What the runtime reports a running container was configured with (`kubecontainer.ContainerResources`
/// from the CRI's `ContainerStatus.resources`): the values the kubelet compares with the spec.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActualResources {
    /// `CPURequest` (from the cpu shares).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_request: Option<Quantity>,
    /// `CPULimit` (from the cpu quota).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<Quantity>,
    /// `MemoryLimit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<Quantity>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(t: &str) -> Quantity {
        Quantity::parse(t).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_the_api_suffixes_like_resource_must_parse() {
        assert_eq!(q("100m").milli_value(), 100);
        assert_eq!(q("1").milli_value(), 1000);
        assert_eq!(q("0.5").milli_value(), 500);
        assert_eq!(q("1.5").value(), 2, "Value rounds up");
        assert_eq!(q("128Mi").value(), 128 * 1024 * 1024);
        assert_eq!(q("1G").value(), 1_000_000_000);
        assert_eq!(q("1Gi").value(), 1 << 30);
        assert_eq!(q("2e3").value(), 2000);
        assert_eq!(q("1E-3").milli_value(), 1);
        assert_eq!(q("250u").milli_value(), 1, "MilliValue rounds up");
        assert_eq!(q("100n").milli_value(), 1);
        assert_eq!(q("1k").value(), 1000);
        assert_eq!(q("+3").value(), 3);
        assert_eq!(q(".5").milli_value(), 500);
        assert_eq!(q("0").value(), 0);
        assert!(q("-1").is_negative());
        assert_eq!(q("1.5Gi").value(), 3 << 29);
    }

    #[test]
    fn refuses_what_the_api_refuses() {
        for bad in ["", "m", "1.2.3", "1x", "1 Mi", "1mi", "1KI", "1e", "1e1000", "--1", "Mi", "1.", "1e3m"] {
            if bad == "1." {
                // `1.` is a valid quantity in the API (a trailing point), kept as 1.
                assert_eq!(q(bad).value(), 1);
                continue;
            }
            assert!(Quantity::parse(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(Quantity::parse("99999999999999999999999").is_err(), "out of range");
    }

    #[test]
    fn reads_strings_and_bare_numbers() {
        let read = |json: &str| -> Quantity { serde_json::from_str(json).unwrap() };
        assert_eq!(read("\"100m\"").milli_value(), 100);
        assert_eq!(read("2").value(), 2);
        assert_eq!(read("0.25").milli_value(), 250);
        assert!(serde_json::from_str::<Quantity>("\"lots\"").is_err());
    }
}
