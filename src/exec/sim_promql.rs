//! The demo's Prometheus, for pre-checks: a few kube-state-metrics series made from the
//! simulated cluster's state (nodes, their CPU, the pods' CPU requests, available
//! replicas) and a small PromQL subset over them, so a demo pre-check passes or fails on
//! what the simulation holds. Anything outside the subset is an error, never "fine".

use std::collections::BTreeMap;

use super::sim::SimCluster;

/// One series: its metric name, labels and value now.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// CPU each simulated node can give.
pub const NODE_CPU: f64 = 16.0;

/// CPU one pod of a simulated workload requests.
fn cpu_request(name: &str) -> f64 {
    match name {
        "payments" => 1.0,
        _ => 2.0,
    }
}

fn series(name: &str, labels: &[(&str, &str)], value: f64) -> Series {
    Series {
        name: name.into(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        value,
    }
}

impl SimCluster {
    /// The series a kube-state-metrics exporter would show for the simulated cluster.
    pub fn series(&self) -> Vec<Series> {
        let mut out = Vec::new();
        for (node, cordoned) in &self.nodes {
            let n = node.as_str();
            out.push(series(
                "kube_node_status_allocatable",
                &[("node", n), ("resource", "cpu")],
                NODE_CPU,
            ));
            out.push(series(
                "kube_node_status_condition",
                &[("node", n), ("condition", "Ready"), ("status", "true")],
                1.0,
            ));
            out.push(series(
                "kube_node_spec_unschedulable",
                &[("node", n)],
                if *cordoned { 1.0 } else { 0.0 },
            ));
        }
        for ((kind, ns, name), replicas) in &self.workloads {
            let workload = kind.as_str();
            out.push(series(
                &format!("kube_{workload}_status_replicas_available"),
                &[("namespace", ns), (workload, name)],
                f64::from(*replicas),
            ));
            for i in 0..*replicas {
                let pod = format!("{name}-{i}");
                out.push(series(
                    "kube_pod_container_resource_requests",
                    &[("namespace", ns), ("pod", &pod), ("resource", "cpu")],
                    cpu_request(name),
                ));
            }
        }
        out
    }

    /// Evaluates `query` over [`SimCluster::series`]: the values of the series it returns.
    /// Understood: `METRIC{label="v",label!="v"}`, `sum(...)`, `count(...)`, `min(...)`,
    /// `max(...)`, `+` and `-` between aggregates and numbers, and one comparison with a
    /// number at the end (`> 4`, `== 1`, ...), which keeps only the series it holds for.
    pub fn promql(&self, query: &str) -> Result<Vec<f64>, String> {
        let toks = tokens(query)?;
        let mut p = Parser {
            toks,
            at: 0,
            series: self.series(),
        };
        let v = p.expr()?;
        if p.at != p.toks.len() {
            return Err(unsupported(query));
        }
        Ok(v)
    }
}

fn unsupported(query: &str) -> String {
    format!(
        "the demo's simulated Prometheus cannot evaluate `{}` (it knows sum, count, min, max of kube-state-metrics series, + and -, and one comparison)",
        crate::sanitize::escape(query)
    )
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Op(&'static str),
}

fn tokens(q: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_:".contains(chars[i])) {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
            continue;
        }
        if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            out.push(Tok::Num(s.parse().map_err(|_| unsupported(q))?));
            continue;
        }
        if c == '"' {
            let start = i + 1;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += 1;
            }
            if i >= chars.len() {
                return Err(unsupported(q));
            }
            out.push(Tok::Str(chars[start..i].iter().collect()));
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op = ["!=", "==", ">=", "<="]
            .into_iter()
            .find(|o| *o == two)
            .or_else(|| {
                ["{", "}", "(", ")", ",", "=", ">", "<", "+", "-"]
                    .into_iter()
                    .find(|o| o.starts_with(c))
            })
            .ok_or_else(|| unsupported(q))?;
        i += op.len();
        out.push(Tok::Op(op));
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    series: Vec<Series>,
}

/// A term's value: labelled series (a selector), or one unlabelled value (an aggregate or
/// a number); an aggregate over nothing is empty, as in PromQL.
enum Value {
    Vector(Vec<f64>),
    Scalar(Option<f64>),
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn op(&mut self, want: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == want) {
            self.at += 1;
            return true;
        }
        false
    }

    fn fail<T>(&self) -> Result<T, String> {
        Err(format!(
            "the demo's simulated Prometheus cannot evaluate this query (near token {})",
            self.at + 1
        ))
    }

    fn expr(&mut self) -> Result<Vec<f64>, String> {
        let mut v = self.term()?;
        loop {
            let sign = if self.op("+") {
                1.0
            } else if self.op("-") {
                -1.0
            } else {
                break;
            };
            let rhs = self.term()?;
            v = match (v, rhs) {
                (Value::Scalar(a), Value::Scalar(b)) => {
                    Value::Scalar(a.zip(b).map(|(a, b)| a + sign * b))
                }
                _ => return self.fail(),
            };
        }
        let values = match v {
            Value::Vector(v) => v,
            Value::Scalar(v) => v.into_iter().collect(),
        };
        let cmp = ["==", "!=", ">=", "<=", ">", "<"]
            .into_iter()
            .find(|o| self.op(o));
        let Some(cmp) = cmp else {
            return Ok(values);
        };
        let Some(Tok::Num(n)) = self.peek().cloned() else {
            return self.fail();
        };
        self.at += 1;
        Ok(values
            .into_iter()
            .filter(|v| match cmp {
                "==" => *v == n,
                "!=" => *v != n,
                ">=" => *v >= n,
                "<=" => *v <= n,
                ">" => *v > n,
                _ => *v < n,
            })
            .collect())
    }

    fn term(&mut self) -> Result<Value, String> {
        match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.at += 1;
                Ok(Value::Scalar(Some(n)))
            }
            Some(Tok::Ident(f)) if matches!(f.as_str(), "sum" | "count" | "min" | "max") => {
                self.at += 1;
                if !self.op("(") {
                    return self.fail();
                }
                let v = self.selector()?;
                if !self.op(")") {
                    return self.fail();
                }
                if v.is_empty() {
                    return Ok(Value::Scalar(None));
                }
                let fold = |init: f64, g: fn(f64, f64) -> f64| v.iter().copied().fold(init, g);
                Ok(Value::Scalar(Some(match f.as_str() {
                    "sum" => v.iter().sum(),
                    "count" => v.len() as f64,
                    "min" => fold(f64::INFINITY, f64::min),
                    _ => fold(f64::NEG_INFINITY, f64::max),
                })))
            }
            Some(Tok::Ident(_)) => Ok(Value::Vector(self.selector()?)),
            _ => self.fail(),
        }
    }

    fn selector(&mut self) -> Result<Vec<f64>, String> {
        let Some(Tok::Ident(name)) = self.peek().cloned() else {
            return self.fail();
        };
        self.at += 1;
        let mut matchers: Vec<(String, bool, String)> = Vec::new();
        if self.op("{") {
            while !self.op("}") {
                let Some(Tok::Ident(label)) = self.peek().cloned() else {
                    return self.fail();
                };
                self.at += 1;
                let eq = if self.op("=") {
                    true
                } else if self.op("!=") {
                    false
                } else {
                    return self.fail();
                };
                let Some(Tok::Str(value)) = self.peek().cloned() else {
                    return self.fail();
                };
                self.at += 1;
                matchers.push((label, eq, value));
                if !self.op(",") && !matches!(self.peek(), Some(Tok::Op("}"))) {
                    return self.fail();
                }
            }
        }
        Ok(self
            .series
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                matchers.iter().all(|(l, eq, v)| {
                    let has = s.labels.get(l).map(String::as_str).unwrap_or("");
                    (has == v) == *eq
                })
            })
            .map(|s| s.value)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::plan::KubeAction;

    #[test]
    fn the_demos_pre_check_queries_are_answered_from_the_simulated_state() {
        let mut c = SimCluster::demo();
        let room = "sum(kube_node_status_allocatable{resource=\"cpu\"}) - sum(kube_pod_container_resource_requests{resource=\"cpu\"}) > 4";
        // 3 nodes of 16 CPU; catalog 8 × 2, payments 6 × 1, search-indexer 3 × 2.
        assert_eq!(c.promql(room), Ok(vec![20.0]));
        let scale = |n| KubeAction::Scale {
            workload: crate::exec::plan::Workload::Deployment,
            namespace: "catalog".into(),
            name: "catalog".into(),
            replicas: n,
        };
        c.apply(&scale(12), false).unwrap();
        assert_eq!(c.promql(room), Ok(vec![12.0]));
        // No room left: the condition returns nothing, so the pre-check fails.
        c.apply(&scale(20), false).unwrap();
        assert_eq!(c.promql(room), Ok(vec![]));
        assert_eq!(
            c.promql("count(kube_node_status_condition{condition=\"Ready\", status=\"true\"}) > 2"),
            Ok(vec![3.0])
        );
        assert_eq!(
            c.promql("kube_deployment_status_replicas_available{namespace=\"payments\"}"),
            Ok(vec![6.0])
        );
        // A series the simulation does not have: no series, as a real Prometheus says.
        assert_eq!(
            c.promql("certmanager_clusterissuer_ready_status{name=\"letsencrypt\"} == 1"),
            Ok(vec![])
        );
        for bad in [
            "rate(http_requests_total[5m]) > 1",
            "sum(x) by (node)",
            "sum(kube_node_status_allocatable",
            "up{job=\"x\"} > ",
        ] {
            assert!(c.promql(bad).is_err(), "{bad}");
        }
    }
}
