"""`errscan explain TERM`: why a term is flagged, and from which list, canonical name and rule."""

from __future__ import annotations

from errscan.lexicon import Entry, Lexicon
from errscan.model import category_zh

METHOD_ZH = {"pinyin": "同音字替换", "stroke": "形近字替换", "omit": "漏字", "transpose": "相邻两字颠倒"}


def find_entry(lex: Lexicon, term: str) -> Entry | None:
    """The entry whose match is exactly `term`."""
    if lex.empty:
        return None
    key = term.encode("utf-8", "surrogatepass").decode("latin-1")
    hit = lex.automaton.get(key, None)  # type: ignore[attr-defined]
    return lex.entries[hit] if hit is not None else None


def explain(lex: Lexicon, term: str, as_of: str | None = None) -> str:
    """A Chinese explanation of how errscan treats `term` (`as_of`: the document's date, for posts and names)."""
    term = term.strip()
    if not term:
        return "请给出要解释的词语。"
    entry = find_entry(lex, term)
    if entry is not None:
        return _explain_entry(lex, entry)
    lines = _posts(term, as_of)
    if lines:
        return "\n".join(lines)
    if term in lex.canonical:
        list_id, note = lex.canonical[term]
        made = sum(1 for e in _generated(lex) if e.origin == term)
        what = f"（{note}）" if note else ""
        made_zh = (f"由它生成了 {made} 个错误写法（同音字、形近字、漏字、颠倒）" if made
                   else "它太短（一字之误多为常用词语或他人姓名），不生成错误写法")
        lines.append(f"“{term}”是词表 {list_id} 中的规范名称{what}，本身不会被报告；{made_zh}。")
    inner = _findings(lex, term)
    if inner:
        lines.append(f"“{term}”中会被报告的部分：")
        lines += [f"  “{f.text}”（第{f.column}字起）：{f.message}规则 {f.rule}。" for f in inner]
    elif term not in lex.canonical:
        lines.append(f"“{term}”不在已加载的词表中，也不含会被报告的词语。")
        near = _near_canonical(lex, term)
        if near:
            lines.append(_not_generated(lex, term, near))
    return "\n".join(lines)


def _explain_entry(lex: Lexicon, entry: Entry) -> str:
    info = next((i for i in lex.lists if i.id == entry.list_id), None)
    where = f"{info.path}:{entry.line}" if info else entry.list_id
    sev = entry.severity.zh
    lines = [f"“{entry.match}”会被报告为{category_zh(entry.category)}（{sev}）。"]
    if entry.suggest:
        lines.append("建议改为" + "或".join(f"“{s}”" for s in entry.suggest) + "。")
    if entry.origin:
        lines.append(f"来源：由词表 {entry.list_id} 的规范名称“{entry.origin}”自动生成（{where}），"
                     f"方法：{METHOD_ZH.get(entry.method, entry.method)}。")
        lines.append(entry.note + "。")
        canon_note = lex.canonical.get(entry.origin, ("", ""))[1]
        if canon_note:
            lines.append(f"“{entry.origin}”：{canon_note}。")
    else:
        lines.append(f"来源：词表 {entry.list_id} 中手工收录的条目（{where}）。")
        if entry.note:
            lines.append("说明：" + entry.note.rstrip("。") + "。")
    lines.append(_boundary_zh(entry.boundary))
    if entry.unless:
        lines.append("以下正确写法中不报告：" + "、".join(entry.unless) + "。")
    rules = [(entry.followed_by, "后面紧接"), (entry.not_followed_by, "后面不是"),
             (entry.preceded_by, "前面紧接"), (entry.not_preceded_by, "前面不是")]
    for source, what in rules:
        if source:
            lines.append(f"上下文规则：{what} {source} 时才报告。")
    if entry.since:
        how = "使用旧称" if entry.category == "outdated" else f"写“{entry.match}”"
        lines.append(f"{entry.since} 以后成文的文稿才按此报告；更早的文稿{how}是正确的。")
    lines.append(f"规则编号：{entry.rule}")
    return "\n".join(lines)


REASON_ZH = {
    "word": "它本身是正确的词语或名称（jieba 词典中的词、规范名称、其他词表的建议写法），或是其中的一部分",
    "reads": "它可以读作几个正常词语相连（如“石家庄”+“是”），正确的文字中也可能出现",
    "excluded": "规范名称的 exclude 列出了它（在真实公文中出现过）",
    "ambiguous": "两个不同的规范名称都能生成它，无法确定应改成哪一个",
}


def _not_generated(lex: Lexicon, term: str, near: str) -> str:
    """Why a one-character slip of a canonical name is not flagged: regenerate and look it up."""
    from pathlib import Path

    from errscan.lexicon.generate import generate
    from errscan.lexicon.load import load_list

    head = f"它与规范名称“{near}”只差一字，"
    if near.startswith(term) or near.endswith(term):
        return head + "但它是规范名称的一部分（少了首字或末字），这样的写法不生成。"
    lists = [load_list(Path(i.path), builtin=i.builtin) for i in lex.lists]
    known = {s for e in getattr(lex.entries, "hand", lex.entries) for s in e.suggest}
    for result in generate(lists, known).values():
        if term in result.trace:
            reason, var = result.trace[term]
            return head + f"是由它生成的候选写法（{var.note()}），但已被剔除：{REASON_ZH.get(reason, reason)}。"
    return head + "但生成规则不产生这一写法（只替换为常用的同音字、形近字，名称过短时不生成）。"


def _boundary_zh(boundary: str) -> str:
    return {
        "any": "匹配方式：任何位置出现都报告。",
        "word": "匹配方式：分词后须独立成词，处于更长的词中间时不报告。",
    }.get(boundary, "匹配方式：两端与分词边界相交（跨词）时不报告。")


def _generated(lex: Lexicon) -> list[Entry]:
    rows = getattr(lex.entries, "rows", None)
    hand = len(getattr(lex.entries, "hand", ()))
    if rows is None:
        return [e for e in lex.entries if e.origin]
    return [lex.entries[hand + i] for i in range(len(rows))]


def _findings(lex: Lexicon, term: str) -> list:
    from errscan.pipeline import Scanner

    return Scanner(lexicon=lex).scan_text(term)


def _near_canonical(lex: Lexicon, term: str) -> str:
    """A canonical name `term` is one substitution, omission or swap away from."""
    for name in lex.canonical:
        if abs(len(name) - len(term)) > 1:
            continue
        if len(name) == len(term):
            diff = [i for i, (a, b) in enumerate(zip(name, term, strict=True)) if a != b]
            if len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and name[diff[0]] == term[diff[1]]
                                  and name[diff[1]] == term[diff[0]]):
                return name
        elif len(name) == len(term) + 1 and any(name[:i] + name[i + 1 :] == term for i in range(len(name))):
            return name
    return ""


def _posts(term: str, as_of: str | None) -> list[str]:
    """What the register of posts says of a term holding a post or a leader's name (errscan/posts.py)."""
    import errscan.posts as posts
    from errscan.docdate import parse_date

    reg = posts.load()
    titled = [reg.by_title[m.group()] for m in reg.title_re.finditer(term)]
    named = [n for n in reg.longest_first if n in term]
    if not titled and not named:
        return []
    date = parse_date(as_of) if as_of else None
    when = f"文稿日期 {as_of}" if as_of else "未给出文稿日期（--as-of），按今天核对"
    lines = []
    for said in posts.find(term, date):
        fix = f" 建议：{'、'.join(said.suggestions)}。" if said.suggestions else ""
        lines.append(f"“{term[said.start:said.end]}”（{when}）：{said.message}{fix}规则 {said.rule}。")
    if not lines:
        lines.append(f"“{term}”（{when}）：职务与姓名相符，不会被报告。")
    chosen = titled or [p for p in reg.posts.values() if any(p.of(n) for n in named)]
    for name in dict.fromkeys(p.name for p in chosen):
        post = reg.posts[name]
        shown = [t for t in post.holders if t.hi.year >= 2002 or any(t.name == n for n in named)]
        lines.append(f"职务登记：{post.name}——" + "；".join(f"{t.name} {t.span()}" for t in shown) + "。")
    lines.append("登记来源：" + "；".join("".join(s.split()) for s in reg.sources))  # folded YAML lines
    return lines
