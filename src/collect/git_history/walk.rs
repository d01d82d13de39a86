//! The history side of a collection (its own thread): orders the commits oldest first, compares
//! each commit's tree with its first parent's, entering only subtrees whose id changed, and hands
//! every commit that changes a manifest path to the manifest side ([`super::manifests`]) as a
//! [`Walked`], with the raw commit object and the content of the changed blobs.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::rc::Rc;
use std::sync::mpsc::SyncSender;

use git2::{ObjectType, Oid, Repository, Sort, Tree};
use serde_json::Value;

use super::{Cache, Error, TREE_CACHE_LIMIT, record_gap};

/// One changed manifest path in a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Change {
    pub(super) path: String,
    pub(super) old_path: Option<String>,
    pub(super) old: Option<Oid>,
    pub(super) new: Option<Oid>,
}

/// A commit that changes manifest paths.
#[derive(Debug)]
pub(super) struct Walked {
    pub(super) id: Oid,
    /// Changed manifest paths, sorted by path.
    pub(super) changes: Vec<Change>,
    /// The content of each change's new blob, read here (the walk has time to spare), when it
    /// could be read and is within the size limit; otherwise the manifest side reads it.
    pub(super) new_contents: Vec<Option<Vec<u8>>>,
    /// The raw commit object as the walk read it (see [`RAW_COMMIT_LIMIT`] and
    /// [`RAW_COMMIT_BUDGET`]), so that the manifest side need not read it again; `None`: the
    /// manifest side reads it.
    pub(super) raw_commit: Option<Box<[u8]>>,
}

/// Commit objects up to this size are kept from the walk's first read until the manifest side
/// has taken their facts (commits are usually 200–1,000 bytes; signed ones about 1,500).
const RAW_COMMIT_LIMIT: usize = 8 << 10;
/// At most this many bytes of raw commits are kept in all (about 300,000 commits); later ones
/// are read again by the manifest side.
const RAW_COMMIT_BUDGET: usize = 128 << 20;

/// What the history side counted and found.
#[derive(Debug, Default)]
pub(super) struct Walk {
    pub(super) walked: u64,
    /// Commits that change no manifest path (and shallow-boundary commits).
    pub(super) skipped: u64,
    /// Shallow-boundary commits reached.
    pub(super) boundary: Vec<String>,
    pub(super) gaps: BTreeMap<String, Value>,
}

/// A commit in [`History::history_order`].
struct Node {
    id: Oid,
    tree: Oid,
    parents: Vec<Oid>,
    /// Indexes of the parents' nodes, once the walk has reached this commit.
    parent_nodes: Vec<usize>,
    /// Committer time, the revwalk's date.
    time: i64,
    seen: bool,
    /// The raw commit object (see [`Walked::raw_commit`]).
    raw: Option<Box<[u8]>>,
}

/// A commit in history order, with its tree, its first parent's tree and its raw object.
pub(super) struct Ordered {
    pub(super) id: Oid,
    pub(super) tree: Oid,
    pub(super) parent_tree: Option<Oid>,
    pub(super) raw: Option<Box<[u8]>>,
}

/// The leading lines of a raw commit object of the usual shape: `tree`, `parent`s, one `author`
/// and `committer` (each of these two after its prefix); `None` for any other shape.
pub(super) struct CommitLines<'c> {
    pub(super) tree: Oid,
    pub(super) parents: Vec<Oid>,
    pub(super) author: &'c [u8],
    pub(super) committer: &'c [u8],
}

impl CommitLines<'_> {
    pub(super) fn parse(data: &[u8]) -> Option<CommitLines<'_>> {
        let mut lines = data.split(|&b| b == b'\n').take_while(|line| !line.is_empty());
        let hex = |line: &[u8], prefix: &[u8]| -> Option<Oid> {
            let rest = line.strip_prefix(prefix)?;
            (rest.len() == 40).then_some(())?;
            Oid::from_str(std::str::from_utf8(rest).ok()?).ok()
        };
        let tree = hex(lines.next()?, b"tree ")?;
        let mut parents = Vec::new();
        let mut line = lines.next()?;
        while let Some(parent) = hex(line, b"parent ") {
            parents.push(parent);
            line = lines.next()?;
        }
        Some(CommitLines {
            tree,
            parents,
            author: line.strip_prefix(b"author ")?,
            committer: lines.next()?.strip_prefix(b"committer ")?,
        })
    }
}

/// The tree, parents and committer time of a raw commit object, read as libgit2's quick parse
/// reads them; `None` unless it has the usual shape (see [`CommitLines`]).
fn quick_parse(data: &[u8]) -> Option<(Oid, Vec<Oid>, i64)> {
    let CommitLines {
        tree,
        parents,
        committer,
        ..
    } = CommitLines::parse(data)?;
    let after_email = &committer[committer.iter().rposition(|&b| b == b'>')? + 1..];
    let mut fields = after_email.split(|&b| b == b' ').filter(|f| !f.is_empty());
    let time = std::str::from_utf8(fields.next()?).ok()?.parse::<i64>().ok()?;
    Some((tree, parents, time))
}

/// libgit2's binary heap (`git_pqueue`) of commits, newest first, with its exact sift rules:
/// commits of equal time leave it in the order they leave libgit2's.
#[derive(Default)]
struct TimeHeap {
    items: Vec<usize>,
}

impl TimeHeap {
    /// libgit2's `git_commit_list_time_cmp`: positive when `a` is older than `b`.
    fn cmp(nodes: &[Node], a: usize, b: usize) -> i32 {
        match nodes[a].time.cmp(&nodes[b].time) {
            Ordering::Less => 1,
            Ordering::Greater => -1,
            Ordering::Equal => 0,
        }
    }

    fn insert(&mut self, item: usize, nodes: &[Node]) {
        self.items.push(item);
        let mut el = self.items.len() - 1;
        while el > 0 {
            let parent_el = (el - 1) >> 1;
            let parent = self.items[parent_el];
            if Self::cmp(nodes, parent, item) <= 0 {
                break;
            }
            self.items[el] = parent;
            el = parent_el;
        }
        self.items[el] = item;
    }

    fn pop(&mut self, nodes: &[Node]) -> Option<usize> {
        let top = *self.items.first()?;
        let last = self.items.pop()?;
        if self.items.is_empty() {
            return Some(top);
        }
        self.items[0] = last;
        let mut el = 0;
        loop {
            let mut kid_el = 2 * el + 1;
            let Some(&first_kid) = self.items.get(kid_el) else {
                break;
            };
            let mut kid = first_kid;
            if let Some(&right) = self.items.get(kid_el + 1)
                && Self::cmp(nodes, kid, right) > 0
            {
                kid = right;
                kid_el += 1;
            }
            if Self::cmp(nodes, last, kid) <= 0 {
                break;
            }
            self.items[el] = kid;
            el = kid_el;
        }
        self.items[el] = last;
        Some(top)
    }
}

pub(super) struct History<'a, 'repo> {
    repo: &'repo Repository,
    name: &'a str,
    spec: Option<&'a git2::Pathspec>,
    shallow_roots: &'a BTreeSet<Oid>,
    max_blob: u64,
    odb: git2::Odb<'repo>,
    /// Raw tree objects (see [`Entries`]).
    trees: Cache<Rc<[u8]>>,
    /// Tree id of each commit seen on libgit2's revwalk (parents come before their children).
    commit_trees: Cache<Oid>,
    walk: Walk,
}

fn is_manifest_name(name: &[u8]) -> bool {
    [&b".yaml"[..], b".yml", b".json"]
        .iter()
        .any(|ext| name.len() >= ext.len() && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext))
}

/// One entry of a tree object as stored: `<octal mode> <name>\0<20-byte id>`. Trees are read
/// raw (libgit2's parsed trees and its object cache cost a quarter of the walk).
#[derive(Clone, Copy)]
struct Entry<'t> {
    mode: u32,
    name: &'t [u8],
    /// The raw id (an [`Oid`] is made only for entries that changed).
    id: &'t [u8; 20],
}

impl Entry<'_> {
    fn oid(&self) -> Oid {
        // Cannot fail: the id has 20 bytes.
        Oid::from_bytes(self.id).unwrap_or(Oid::ZERO_SHA1)
    }

    fn is_tree(&self) -> bool {
        self.mode == 0o040000
    }

    /// A regular file (not a symlink or a submodule).
    fn is_file(&self) -> bool {
        self.mode & 0o170000 == 0o100000
    }
}

/// The entries of a raw tree object, in stored (git) order; stops at the first malformed entry,
/// leaving it in `rest` (empty once a well-formed tree is read to its end).
struct Entries<'t> {
    rest: &'t [u8],
}

impl<'t> Iterator for Entries<'t> {
    type Item = Entry<'t>;

    fn next(&mut self) -> Option<Entry<'t>> {
        let space = self.rest.iter().position(|&b| b == b' ')?;
        let mode_digits = &self.rest[..space];
        if mode_digits.is_empty() || mode_digits.len() > 7 || !mode_digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
            return None;
        }
        let mode = mode_digits.iter().fold(0u32, |m, &b| m * 8 + u32::from(b - b'0'));
        let after = &self.rest[space + 1..];
        let nul = after.iter().position(|&b| b == 0)?;
        let id = after.get(nul + 1..nul + 21)?.try_into().ok()?;
        let name = &after[..nul];
        self.rest = &after[nul + 21..];
        Some(Entry { mode, name, id })
    }
}

/// Git's tree order: names compared bytewise, a tree's name as if followed by `/`.
fn git_order(a: &Entry<'_>, b: &Entry<'_>) -> Ordering {
    let ka = a.name.iter().copied().chain(a.is_tree().then_some(b'/'));
    let kb = b.name.iter().copied().chain(b.is_tree().then_some(b'/'));
    ka.cmp(kb)
}

fn malformed_tree(id: Oid) -> git2::Error {
    git2::Error::from_str(&format!("object {id} is not a well-formed tree"))
}

fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

impl<'a, 'repo> History<'a, 'repo> {
    pub(super) fn new(
        repo: &'repo Repository,
        name: &'a str,
        spec: Option<&'a git2::Pathspec>,
        shallow_roots: &'a BTreeSet<Oid>,
        max_blob: u64,
    ) -> Result<Self, Error> {
        let odb = repo.odb().map_err(|source| Error::Git {
            repo: name.to_string(),
            what: "cannot open the object database",
            source,
        })?;
        Ok(History {
            repo,
            name,
            spec,
            shallow_roots,
            max_blob,
            odb,
            trees: Cache::new(TREE_CACHE_LIMIT),
            commit_trees: Cache::new(TREE_CACHE_LIMIT),
            walk: Walk::default(),
        })
    }

    fn git_error(&self, what: &'static str) -> impl FnOnce(git2::Error) -> Error + use<'_, 'a, 'repo> {
        move |source| Error::Git {
            repo: self.name.to_string(),
            what,
            source,
        }
    }

    /// Walks from `head` (without `hidden` and its ancestors), oldest first, sending each commit
    /// that changes a manifest path; stops early when the receiving side has gone.
    pub(super) fn walk(mut self, head: Oid, hidden: Option<Oid>, out: &SyncSender<Walked>) -> Result<Walk, Error> {
        let ordered = match hidden {
            None if self.shallow_roots.is_empty() => self.history_order(head),
            _ => None,
        };
        if let Some(commits) = ordered {
            for commit in commits {
                self.walk.walked += 1;
                let id = commit.id;
                let changes = self.changes_between(id, commit.parent_tree, commit.tree, commit.raw);
                if !self.pass_on(id, changes, out) {
                    break;
                }
            }
            return Ok(self.walk);
        }
        let mut revwalk = self.repo.revwalk().map_err(self.git_error("cannot walk history"))?;
        revwalk
            .set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
            .map_err(self.git_error("cannot walk history"))?;
        revwalk.push(head).map_err(self.git_error("cannot walk history"))?;
        if let Some(h) = hidden {
            revwalk.hide(h).map_err(self.git_error("cannot walk history"))?;
        }
        for id in revwalk {
            let id = match id {
                Ok(id) => id,
                Err(e) => {
                    let reason = format!("history walk stopped: {}", e.message());
                    record_gap(&mut self.walk.gaps, self.name, head, None, reason);
                    break;
                }
            };
            self.walk.walked += 1;
            if self.shallow_roots.contains(&id) {
                self.walk.boundary.push(id.to_string());
                self.walk.skipped += 1;
                continue;
            }
            let changes = self.changes(id);
            if !self.pass_on(id, changes, out) {
                break;
            }
        }
        Ok(self.walk)
    }

    /// Sends a commit's changes on, or counts it; `false` when the receiving side has gone.
    fn pass_on(&mut self, id: Oid, changes: Result<Option<Walked>, git2::Error>, out: &SyncSender<Walked>) -> bool {
        match changes {
            Ok(Some(walked)) => return out.send(walked).is_ok(),
            Ok(None) => self.walk.skipped += 1,
            Err(e) => {
                self.walk.skipped += 1;
                let reason = format!("cannot read commit: {}", e.message());
                record_gap(&mut self.walk.gaps, self.name, id, None, reason);
            }
        }
        true
    }

    /// The commits reachable from `head`, each with its tree and its first parent's tree, in the
    /// order libgit2's revwalk yields with `TOPOLOGICAL | TIME | REVERSE` and nothing hidden, but
    /// reading each commit once instead of twice (the revwalk reads every commit before it
    /// yields the first, and the walk then read each again for its tree). The same two steps as
    /// libgit2's `limit_list` and `sort_in_topological_order`, with its heap ([`TimeHeap`]), so
    /// that commits of equal time come out in the same order. `None` when a commit cannot be
    /// read or is not a plain commit: the caller then uses libgit2's revwalk, which reports it.
    pub(super) fn history_order(&self, head: Oid) -> Option<Vec<Ordered>> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut index: super::OidMap<usize> = super::OidMap::default();
        let mut budget = RAW_COMMIT_BUDGET;
        let mut node = |id: Oid, nodes: &mut Vec<Node>| -> Option<usize> {
            if let Some(&i) = index.get(&id) {
                return Some(i);
            }
            let object = self.odb.read(id).ok()?;
            if object.kind() != ObjectType::Commit {
                return None;
            }
            let data = object.data();
            let (tree, parents, time) = quick_parse(data)?;
            let keep = data.len() <= RAW_COMMIT_LIMIT.min(budget);
            if keep {
                budget -= data.len();
            }
            nodes.push(Node {
                id,
                tree,
                parents,
                parent_nodes: Vec::new(),
                time,
                seen: false,
                raw: keep.then(|| Box::from(data)),
            });
            index.insert(id, nodes.len() - 1);
            Some(nodes.len() - 1)
        };
        // limit_list: newest first, each commit's parents inserted by date (after commits at
        // least as new), unseen ones only.
        let first = node(head, &mut nodes)?;
        nodes[first].seen = true;
        let mut frontier = std::collections::VecDeque::from([first]);
        let mut listed = Vec::new();
        while let Some(c) = frontier.pop_front() {
            let mut parent_nodes = Vec::new();
            for p in std::mem::take(&mut nodes[c].parents) {
                let p = node(p, &mut nodes)?;
                parent_nodes.push(p);
                if !nodes[p].seen {
                    nodes[p].seen = true;
                    let time = nodes[p].time;
                    let at = frontier
                        .iter()
                        .position(|&q| nodes[q].time < time)
                        .unwrap_or(frontier.len());
                    frontier.insert(at, p);
                }
            }
            nodes[c].parent_nodes = parent_nodes;
            listed.push(c);
        }
        // sort_in_topological_order: children before parents, newest tip first.
        let mut in_degree = vec![0u32; nodes.len()];
        for &c in &listed {
            in_degree[c] = 1;
        }
        for &c in &listed {
            for &p in &nodes[c].parent_nodes {
                if in_degree[p] != 0 {
                    in_degree[p] += 1;
                }
            }
        }
        let mut heap = TimeHeap::default();
        for &c in &listed {
            if in_degree[c] == 1 {
                heap.insert(c, &nodes);
            }
        }
        let mut order = Vec::with_capacity(listed.len());
        while let Some(next) = heap.pop(&nodes) {
            for &p in &nodes[next].parent_nodes {
                if in_degree[p] == 0 {
                    continue;
                }
                in_degree[p] -= 1;
                if in_degree[p] == 1 {
                    heap.insert(p, &nodes);
                }
            }
            in_degree[next] = 0;
            order.push(next);
        }
        order.reverse();
        Some(
            order
                .into_iter()
                .map(|i| Ordered {
                    id: nodes[i].id,
                    tree: nodes[i].tree,
                    parent_tree: nodes[i].parent_nodes.first().map(|&p| nodes[p].tree),
                    raw: nodes[i].raw.take(),
                })
                .collect(),
        )
    }

    /// The commit's manifest changes against its first parent, or `None` when there are none.
    fn changes(&mut self, id: Oid) -> Result<Option<Walked>, git2::Error> {
        let commit = self.repo.find_commit(id)?;
        let parent_tree_id = match commit.parent_id(0).ok() {
            None => None,
            Some(p) => match self.commit_trees.get(&p) {
                Some(t) => Some(t),
                None => Some(self.repo.find_commit(p)?.tree_id()),
            },
        };
        let tree_id = commit.tree_id();
        self.commit_trees.insert(id, tree_id);
        self.changes_between(id, parent_tree_id, tree_id, None)
    }

    /// The manifest changes of commit `id` between its first parent's tree and its own.
    fn changes_between(
        &mut self,
        id: Oid,
        parent_tree_id: Option<Oid>,
        tree_id: Oid,
        raw_commit: Option<Box<[u8]>>,
    ) -> Result<Option<Walked>, git2::Error> {
        if parent_tree_id == Some(tree_id) {
            return Ok(None);
        }
        let mut changes = Vec::new();
        self.diff_trees(parent_tree_id, Some(tree_id), "", &mut changes)?;
        if changes.is_empty() {
            return Ok(None);
        }
        if changes.iter().any(|c| c.old.is_none()) && changes.iter().any(|c| c.new.is_none()) {
            let old_tree = parent_tree_id.map(|t| self.repo.find_tree(t)).transpose()?;
            let new_tree = self.repo.find_tree(tree_id)?;
            changes = self.find_renames(old_tree.as_ref(), &new_tree, changes);
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        let new_contents = changes.iter().map(|c| c.new.and_then(|b| self.blob(b))).collect();
        Ok(Some(Walked {
            id,
            changes,
            new_contents,
            raw_commit,
        }))
    }

    /// The content of blob `id` when it can be read and is within the size limit.
    fn blob(&self, id: Oid) -> Option<Vec<u8>> {
        let object = self.odb.read(id).ok()?;
        let small = object.kind() == ObjectType::Blob && object.len() as u64 <= self.max_blob;
        small.then(|| object.data().to_vec())
    }

    /// The raw content of tree `id` (its entries are checked as [`History::diff_trees`] reads
    /// them).
    fn tree(&mut self, id: Oid) -> Result<Rc<[u8]>, git2::Error> {
        if let Some(t) = self.trees.get(&id) {
            return Ok(t);
        }
        let object = self.odb.read(id)?;
        if object.kind() != ObjectType::Tree {
            return Err(malformed_tree(id));
        }
        let tree: Rc<[u8]> = Rc::from(object.data());
        self.trees.insert(id, Rc::clone(&tree));
        Ok(tree)
    }

    fn wanted(&self, path: &str) -> bool {
        self.spec
            .is_none_or(|s| s.matches_path(Path::new(path), git2::PathspecFlags::DEFAULT))
    }

    /// Changed manifest files between two trees, comparing entry ids and entering only subtrees
    /// whose id changed.
    fn diff_trees(
        &mut self,
        old: Option<Oid>,
        new: Option<Oid>,
        prefix: &str,
        out: &mut Vec<Change>,
    ) -> Result<(), git2::Error> {
        if old == new {
            return Ok(());
        }
        let old_tree = old.map(|id| self.tree(id)).transpose()?;
        let new_tree = new.map(|id| self.tree(id)).transpose()?;
        let mut a = Entries {
            rest: old_tree.as_deref().unwrap_or_default(),
        };
        let mut b = Entries {
            rest: new_tree.as_deref().unwrap_or_default(),
        };
        let (mut next_a, mut next_b) = (a.next(), b.next());
        loop {
            let order = match (&next_a, &next_b) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(x), Some(y)) => git_order(x, y),
            };
            let (x, y) = match order {
                Ordering::Less => (std::mem::replace(&mut next_a, a.next()), None),
                Ordering::Greater => (None, std::mem::replace(&mut next_b, b.next())),
                Ordering::Equal => (
                    std::mem::replace(&mut next_a, a.next()),
                    std::mem::replace(&mut next_b, b.next()),
                ),
            };
            if let (Some(x), Some(y)) = (&x, &y)
                && x.id == y.id
                && x.mode == y.mode
            {
                continue;
            }
            let Some(name) = x.or(y).map(|e| e.name) else {
                continue;
            };
            let sub_old = x.filter(Entry::is_tree).map(|e| e.oid());
            let sub_new = y.filter(Entry::is_tree).map(|e| e.oid());
            if sub_old.is_some() || sub_new.is_some() {
                self.diff_trees(sub_old, sub_new, &join(prefix, name), out)?;
            }
            if !is_manifest_name(name) {
                continue;
            }
            let file_old = x.filter(Entry::is_file).map(|e| e.oid());
            let file_new = y.filter(Entry::is_file).map(|e| e.oid());
            if file_old.is_none() && file_new.is_none() || file_old == file_new {
                continue;
            }
            let path = join(prefix, name);
            if self.wanted(&path) {
                out.push(Change {
                    path,
                    old_path: None,
                    old: file_old,
                    new: file_new,
                });
            }
        }
        // An entry that cannot be read ends its tree early: the tree is malformed.
        for (id, entries) in [(old, &a), (new, &b)] {
            if let Some(id) = id
                && !entries.rest.is_empty()
            {
                return Err(malformed_tree(id));
            }
        }
        Ok(())
    }

    /// Pairs deletions with additions: identical blobs first, then libgit2's similarity check.
    fn find_renames(
        &self,
        old_tree: Option<&Tree<'repo>>,
        new_tree: &Tree<'repo>,
        changes: Vec<Change>,
    ) -> Vec<Change> {
        let (mut deleted, rest): (Vec<Change>, Vec<Change>) = changes.into_iter().partition(|c| c.new.is_none());
        let (mut added, mut out): (Vec<Change>, Vec<Change>) = rest.into_iter().partition(|c| c.old.is_none());
        if deleted.is_empty() || added.is_empty() {
            out.append(&mut deleted);
            out.append(&mut added);
            return out;
        }
        let mut unmatched_added = Vec::new();
        for add in added {
            match deleted.iter().position(|d| d.old == add.new) {
                Some(i) => {
                    let del = deleted.remove(i);
                    out.push(Change {
                        old_path: Some(del.path),
                        old: del.old,
                        ..add
                    });
                }
                None => unmatched_added.push(add),
            }
        }
        if !deleted.is_empty() && !unmatched_added.is_empty() {
            for (from, to) in self.similar(old_tree, new_tree, &deleted, &unmatched_added) {
                let (Some(di), Some(ai)) = (
                    deleted.iter().position(|d| d.path == from),
                    unmatched_added.iter().position(|a| a.path == to),
                ) else {
                    continue;
                };
                let del = deleted.remove(di);
                let add = unmatched_added.remove(ai);
                out.push(Change {
                    old_path: Some(del.path),
                    old: del.old,
                    ..add
                });
            }
        }
        out.append(&mut deleted);
        out.append(&mut unmatched_added);
        out
    }

    /// (old path, new path) pairs libgit2 calls renames among these deletions and additions.
    fn similar(
        &self,
        old_tree: Option<&Tree<'repo>>,
        new_tree: &Tree<'repo>,
        deleted: &[Change],
        added: &[Change],
    ) -> Vec<(String, String)> {
        let mut options = git2::DiffOptions::new();
        options.disable_pathspec_match(true);
        for c in deleted.iter().chain(added) {
            options.pathspec(&c.path);
        }
        let Ok(mut diff) = self
            .repo
            .diff_tree_to_tree(old_tree, Some(new_tree), Some(&mut options))
        else {
            return Vec::new();
        };
        let mut find = git2::DiffFindOptions::new();
        find.renames(true);
        if diff.find_similar(Some(&mut find)).is_err() {
            return Vec::new();
        }
        diff.deltas()
            .filter(|d| d.status() == git2::Delta::Renamed)
            .filter_map(|d| {
                let from = d.old_file().path()?.to_string_lossy().into_owned();
                let to = d.new_file().path()?.to_string_lossy().into_owned();
                Some((from, to))
            })
            .collect()
    }
}
