//! A small, bounded unpickler for the `data.pkl` of a PyTorch file.
//!
//! It builds the object tree of the pickle (protocols 2 to 5, the opcodes `torch.save` and
//! Python's pickler write for plain objects, dicts, lists, tuples, numbers and strings) without
//! running anything: classes stay names ([`Obj::Global`]), calls stay `(callable, args)` pairs
//! ([`Obj::Call`]), persistent ids (PyTorch's storages) stay [`Obj::Persistent`].
//!
//! A damaged or hostile pickle cannot make it panic, recurse without bound or allocate without
//! bound: objects nest at most [`MAX_DEPTH`] levels (the tree is then dropped and walked with a
//! small stack), and every object made or copied out of the memo counts against a budget
//! ([`MAX_COST`], about 64 bytes a unit), so a pickle that copies a memoised object into itself
//! over and over stops with an error instead of doubling its size each time.

use std::collections::HashMap;
use std::io::Read;

/// The deepest nesting of objects accepted (a HiTS module pickle nests about 15 levels).
pub(crate) const MAX_DEPTH: u32 = 100;

/// The most objects (and 64-byte pieces of strings) a pickle may make or copy in all.
pub(crate) const MAX_COST: u64 = 1 << 22;

/// The longest string or bytes object accepted, in bytes.
const MAX_STRING: u64 = 1 << 26;

/// An unpickled object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Obj {
    /// A class or function, `module.name` (`GLOBAL`, `STACK_GLOBAL`).
    Global(String, String),
    Int(i64),
    Float(f64),
    Str(String),
    /// A bytes object: only its length is kept.
    Bytes(usize),
    Bool(bool),
    None,
    Tuple(Vec<Obj>),
    List(Vec<Obj>),
    Dict(Vec<(Obj, Obj)>),
    /// `callable(*args)` (`REDUCE`, `NEWOBJ`), not called.
    Call(Box<Obj>, Box<Obj>),
    /// `obj.__setstate__(state)` (`BUILD`) on an object that is not a dict.
    Build(Box<Obj>, Box<Obj>),
    /// A persistent id (`BINPERSID`): a storage of a PyTorch file.
    Persistent(Box<Obj>),
    /// The stack's mark (never inside a finished object).
    Mark,
}

/// An object on the stack with its nesting depth and its cost.
#[derive(Debug, Clone)]
struct Item {
    obj: Obj,
    depth: u32,
    cost: u64,
}

impl Item {
    fn leaf(obj: Obj) -> Item {
        Item {
            obj,
            depth: 1,
            cost: 1,
        }
    }
}

struct Machine {
    stack: Vec<Item>,
    memo: HashMap<u32, Item>,
    spent: u64,
}

type R<T> = std::result::Result<T, String>;

/// Count `cost` against the budget.
fn charge(spent: &mut u64, cost: u64) -> R<()> {
    *spent = spent.saturating_add(cost);
    if *spent > MAX_COST {
        return Err(format!(
            "the pickle makes more than {MAX_COST} objects (damaged, or not a model file)"
        ));
    }
    Ok(())
}

impl Machine {
    fn charge(&mut self, cost: u64) -> R<()> {
        charge(&mut self.spent, cost)
    }

    fn push(&mut self, item: Item) -> R<()> {
        self.charge(1)?;
        self.stack.push(item);
        Ok(())
    }

    fn pop(&mut self) -> R<Item> {
        match self.stack.pop() {
            Some(Item { obj: Obj::Mark, .. }) => Err("a mark where an object was expected".into()),
            Some(item) => Ok(item),
            None => Err("the stack is empty where an object was expected".into()),
        }
    }

    /// The items above the topmost mark (the mark removed).
    fn pop_to_mark(&mut self) -> R<Vec<Item>> {
        let at = self
            .stack
            .iter()
            .rposition(|i| matches!(i.obj, Obj::Mark))
            .ok_or("no mark on the stack")?;
        let items = self.stack.split_off(at + 1);
        self.stack.pop();
        Ok(items)
    }

    /// A container of `children`, checked against the depth limit.
    fn node(children: &[&Item], make: Obj) -> R<Item> {
        let depth = 1 + children.iter().map(|c| c.depth).max().unwrap_or(0);
        if depth > MAX_DEPTH {
            return Err(format!("objects nested deeper than {MAX_DEPTH} levels"));
        }
        let cost = children
            .iter()
            .fold(1u64, |acc, c| acc.saturating_add(c.cost));
        Ok(Item {
            obj: make,
            depth,
            cost,
        })
    }

    fn push_node(&mut self, children: Vec<Item>, make: impl FnOnce(Vec<Obj>) -> Obj) -> R<()> {
        let refs: Vec<&Item> = children.iter().collect();
        let probe = Self::node(&refs, Obj::None)?;
        let obj = make(children.into_iter().map(|c| c.obj).collect());
        self.push(Item { obj, ..probe })
    }

    /// Add `children` into the container on top of the stack (`APPEND(S)`, `SETITEM(S)`).
    fn extend_last(&mut self, children: Vec<Item>, dict: bool) -> R<()> {
        let last = self
            .stack
            .last_mut()
            .ok_or("the stack is empty where a container was expected")?;
        let depth = 1 + children.iter().map(|c| c.depth).max().unwrap_or(0);
        if depth > MAX_DEPTH {
            return Err(format!("objects nested deeper than {MAX_DEPTH} levels"));
        }
        last.depth = last.depth.max(depth);
        last.cost = children
            .iter()
            .fold(last.cost, |acc, c| acc.saturating_add(c.cost));
        match (&mut last.obj, dict) {
            (Obj::List(v), false) => v.extend(children.into_iter().map(|c| c.obj)),
            (Obj::Dict(d), true) => {
                if !children.len().is_multiple_of(2) {
                    return Err("a dict update with an odd number of objects".into());
                }
                let mut it = children.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    d.push((k.obj, v.obj));
                }
            }
            (_, false) => return Err("APPEND to something that is not a list".into()),
            (_, true) => return Err("SETITEM to something that is not a dict".into()),
        }
        Ok(())
    }

    fn memo_get(&mut self, id: u32) -> R<()> {
        let item = self
            .memo
            .get(&id)
            .ok_or_else(|| format!("memo entry {id} read before it was written"))?;
        charge(&mut self.spent, item.cost)?;
        let item = item.clone();
        self.stack.push(item);
        Ok(())
    }

    fn memo_put(&mut self, id: u32) -> R<()> {
        let item = self
            .stack
            .last()
            .ok_or("the stack is empty where an object to memoise was expected")?;
        if matches!(item.obj, Obj::Mark) {
            return Err("a mark cannot be memoised".into());
        }
        charge(&mut self.spent, item.cost)?;
        let item = item.clone();
        self.memo.insert(id, item);
        Ok(())
    }
}

fn byte<Rd: Read>(r: &mut Rd) -> R<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b).map_err(eof)?;
    Ok(b[0])
}

fn bytes_n<Rd: Read, const N: usize>(r: &mut Rd) -> R<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b).map_err(eof)?;
    Ok(b)
}

fn eof(e: std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        "the pickle ends early".into()
    } else {
        format!("cannot read the pickle: {e}")
    }
}

/// `len` bytes (bounded by [`MAX_STRING`], read in pieces so a false length allocates little).
fn blob<Rd: Read>(r: &mut Rd, len: u64) -> R<Vec<u8>> {
    if len > MAX_STRING {
        return Err(format!(
            "a string of {len} bytes (more than {MAX_STRING}): damaged"
        ));
    }
    let mut out = Vec::new();
    let got = r.take(len).read_to_end(&mut out).map_err(eof)?;
    if (got as u64) < len {
        return Err("the pickle ends early".into());
    }
    Ok(out)
}

fn line<Rd: Read>(r: &mut Rd) -> R<String> {
    let mut out = Vec::new();
    loop {
        match byte(r)? {
            b'\n' => break,
            b => out.push(b),
        }
        if out.len() > 4096 {
            return Err("a name longer than 4096 bytes".into());
        }
    }
    String::from_utf8(out).map_err(|_| "a name that is not UTF-8".into())
}

fn text(bytes: Vec<u8>) -> R<String> {
    String::from_utf8(bytes).map_err(|_| "a string that is not UTF-8".into())
}

fn str_item(s: String) -> Item {
    let cost = 1 + s.len() as u64 / 64;
    Item {
        obj: Obj::Str(s),
        depth: 1,
        cost,
    }
}

/// A little-endian two's-complement integer of `b.len()` bytes (`LONG1`, `LONG4`).
fn long(b: &[u8]) -> R<i64> {
    if b.is_empty() {
        return Ok(0);
    }
    if b.len() > 8 {
        return Err(format!(
            "an integer of {} bytes (more than 64 bits)",
            b.len()
        ));
    }
    let negative = b[b.len() - 1] & 0x80 != 0;
    let mut buf = if negative { [0xffu8; 8] } else { [0u8; 8] };
    buf[..b.len()].copy_from_slice(b);
    Ok(i64::from_le_bytes(buf))
}

/// Unpickle one object from `r` (up to its `STOP`).
pub(crate) fn unpickle<Rd: Read>(r: &mut Rd) -> R<Obj> {
    let mut m = Machine {
        stack: Vec::new(),
        memo: HashMap::new(),
        spent: 0,
    };
    loop {
        let op = byte(r)?;
        match op {
            0x80 => {
                byte(r)?; // PROTO
            }
            0x95 => {
                bytes_n::<_, 8>(r)?; // FRAME: the length of the next frame
            }
            b'.' => break,
            b'c' => {
                let module = line(r)?;
                let name = line(r)?;
                m.push(Item::leaf(Obj::Global(module, name)))?;
            }
            0x93 => {
                let name = m.pop()?;
                let module = m.pop()?;
                match (module.obj, name.obj) {
                    (Obj::Str(module), Obj::Str(name)) => {
                        m.push(Item::leaf(Obj::Global(module, name)))?
                    }
                    _ => return Err("STACK_GLOBAL on something other than two strings".into()),
                }
            }
            b'K' => {
                let v = byte(r)?;
                m.push(Item::leaf(Obj::Int(v.into())))?
            }
            b'M' => {
                let v = u16::from_le_bytes(bytes_n(r)?);
                m.push(Item::leaf(Obj::Int(v.into())))?
            }
            b'J' => {
                let v = i32::from_le_bytes(bytes_n(r)?);
                m.push(Item::leaf(Obj::Int(v.into())))?
            }
            0x8a => {
                let n = byte(r)?;
                let b = blob(r, n.into())?;
                m.push(Item::leaf(Obj::Int(long(&b)?)))?
            }
            0x8b => {
                let n = u32::from_le_bytes(bytes_n(r)?);
                if n > 8 {
                    return Err(format!("an integer of {n} bytes (more than 64 bits)"));
                }
                let b = blob(r, n.into())?;
                m.push(Item::leaf(Obj::Int(long(&b)?)))?
            }
            b'G' => {
                let v = f64::from_be_bytes(bytes_n(r)?);
                m.push(Item::leaf(Obj::Float(v)))?
            }
            b'X' => {
                let n = u32::from_le_bytes(bytes_n(r)?);
                let s = text(blob(r, n.into())?)?;
                m.push(str_item(s))?
            }
            0x8c => {
                let n = byte(r)?;
                let s = text(blob(r, n.into())?)?;
                m.push(str_item(s))?
            }
            0x8d => {
                let n = u64::from_le_bytes(bytes_n(r)?);
                let s = text(blob(r, n)?)?;
                m.push(str_item(s))?
            }
            b'T' | b'B' => {
                let n = u32::from_le_bytes(bytes_n(r)?);
                let b = blob(r, n.into())?;
                m.push(Item::leaf(Obj::Bytes(b.len())))?
            }
            b'U' | b'C' => {
                let n = byte(r)?;
                let b = blob(r, n.into())?;
                m.push(Item::leaf(Obj::Bytes(b.len())))?
            }
            b'N' => m.push(Item::leaf(Obj::None))?,
            0x88 => m.push(Item::leaf(Obj::Bool(true)))?,
            0x89 => m.push(Item::leaf(Obj::Bool(false)))?,
            b'(' => m.push(Item::leaf(Obj::Mark))?,
            b')' => m.push(Item::leaf(Obj::Tuple(Vec::new())))?,
            b']' => m.push(Item::leaf(Obj::List(Vec::new())))?,
            b'}' => m.push(Item::leaf(Obj::Dict(Vec::new())))?,
            b't' => {
                let items = m.pop_to_mark()?;
                m.push_node(items, Obj::Tuple)?
            }
            b'l' => {
                let items = m.pop_to_mark()?;
                m.push_node(items, Obj::List)?
            }
            b'd' => {
                let items = m.pop_to_mark()?;
                if !items.len().is_multiple_of(2) {
                    return Err("a dict of an odd number of objects".into());
                }
                m.push_node(items, |objs| {
                    let mut it = objs.into_iter();
                    let mut d = Vec::new();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        d.push((k, v));
                    }
                    Obj::Dict(d)
                })?
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(m.pop()?);
                }
                items.reverse();
                m.push_node(items, Obj::Tuple)?
            }
            b'a' => {
                let v = m.pop()?;
                m.extend_last(vec![v], false)?
            }
            b'e' => {
                let items = m.pop_to_mark()?;
                m.extend_last(items, false)?
            }
            b's' => {
                let v = m.pop()?;
                let k = m.pop()?;
                m.extend_last(vec![k, v], true)?
            }
            b'u' => {
                let items = m.pop_to_mark()?;
                m.extend_last(items, true)?
            }
            b'Q' => {
                let id = m.pop()?;
                m.push_node(vec![id], |mut o| {
                    Obj::Persistent(Box::new(o.pop().unwrap_or(Obj::None)))
                })?
            }
            b'R' | 0x81 => {
                let args = m.pop()?;
                let callable = m.pop()?;
                let ordered = matches!(&callable.obj, Obj::Global(module, name)
                    if module == "collections" && (name == "OrderedDict" || name == "defaultdict"));
                if ordered {
                    // an empty dict that the following SETITEMS fill
                    m.push(Item::leaf(Obj::Dict(Vec::new())))?
                } else {
                    m.push_node(vec![callable, args], |mut o| {
                        let args = o.pop().unwrap_or(Obj::None);
                        let callable = o.pop().unwrap_or(Obj::None);
                        Obj::Call(Box::new(callable), Box::new(args))
                    })?
                }
            }
            b'b' => {
                let state = m.pop()?;
                let obj = m.pop()?;
                match (obj, state) {
                    (
                        Item {
                            obj: Obj::Dict(mut entries),
                            depth,
                            cost,
                        },
                        Item {
                            obj: Obj::Dict(more),
                            depth: more_depth,
                            cost: more_cost,
                        },
                    ) => {
                        entries.extend(more);
                        m.stack.push(Item {
                            obj: Obj::Dict(entries),
                            depth: depth.max(more_depth),
                            cost: cost.saturating_add(more_cost),
                        })
                    }
                    (obj, state) => m.push_node(vec![obj, state], |mut o| {
                        let state = o.pop().unwrap_or(Obj::None);
                        let obj = o.pop().unwrap_or(Obj::None);
                        Obj::Build(Box::new(obj), Box::new(state))
                    })?,
                }
            }
            b'q' => {
                let id = byte(r)?;
                m.memo_put(id.into())?
            }
            b'r' => {
                let id = u32::from_le_bytes(bytes_n(r)?);
                m.memo_put(id)?
            }
            0x94 => {
                let id = u32::try_from(m.memo.len()).map_err(|_| "too many memo entries")?;
                m.memo_put(id)?
            }
            b'h' => {
                let id = byte(r)?;
                m.memo_get(id.into())?
            }
            b'j' => {
                let id = u32::from_le_bytes(bytes_n(r)?);
                m.memo_get(id)?
            }
            b'0' => {
                if m.stack.pop().is_none() {
                    return Err("POP on an empty stack".into());
                }
            }
            b'1' => {
                m.pop_to_mark()?;
            }
            b'2' => {
                let top = m.stack.last().cloned().ok_or("DUP on an empty stack")?;
                m.charge(top.cost)?;
                m.stack.push(top);
            }
            other => {
                return Err(format!(
                    "unknown or unsupported opcode 0x{other:02x} (not a PyTorch pickle)"
                ))
            }
        }
    }
    let top = m.pop()?;
    Ok(top.obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_pickles() {
        // pickle.dumps({'a': (1, 2.5, 'x'), 'b': [True, None]}, protocol=2)
        let bytes: &[u8] = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01G@\x04\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x02\x87q\x03X\x01\x00\x00\x00bq\x04]q\x05(\x88Neu.";
        let obj = unpickle(&mut &bytes[..]).unwrap();
        let want = Obj::Dict(vec![
            (
                Obj::Str("a".into()),
                Obj::Tuple(vec![Obj::Int(1), Obj::Float(2.5), Obj::Str("x".into())]),
            ),
            (
                Obj::Str("b".into()),
                Obj::List(vec![Obj::Bool(true), Obj::None]),
            ),
        ]);
        assert_eq!(obj, want);
        assert_eq!(long(&[0xff]).unwrap(), -1);
        assert_eq!(long(&[0x00, 0x01]).unwrap(), 256);
        assert!(long(&[1; 9]).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let mut bytes = vec![0x80, 2];
        bytes.push(b']');
        bytes.extend(std::iter::repeat_n(0x85, 1_000_000)); // TUPLE1
        bytes.push(b'.');
        let e = unpickle(&mut &bytes[..]).unwrap_err();
        assert!(e.contains("nested deeper"), "{e}");
    }

    #[test]
    fn memo_doubling_is_bounded() {
        // x = []; memo 0; repeat: get 0, get 0, tuple2, put 0
        let mut bytes = vec![0x80, 2, b']', b'q', 0];
        for _ in 0..64 {
            bytes.extend([b'0', b'h', 0, b'h', 0, 0x86, b'q', 0]);
        }
        bytes.push(b'.');
        let e = unpickle(&mut &bytes[..]).unwrap_err();
        assert!(e.contains("more than"), "{e}");
    }
}
