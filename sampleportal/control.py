"""Mutations over HTTP, for a portal running in another process (``python -m sampleportal serve``).

Benchmarks run the portal in a subprocess so it does not share the crawler's CPU; they still
need to edit, remove and add notices between crawls. Each site answers
``/_control/<action>?index=N&...`` for its own notices with a JSON object; robots.txt
disallows ``/_control/`` so a polite crawler never triggers one.

  /_control/edit?index=N[&old=..&new=..]      body edit (default: one figure + one sentence)
  /_control/edit_title?index=N[&title=..]
  /_control/remove?index=N&how=404|410|redirect_home|soft404
  /_control/restore?index=N    /_control/delist?index=N
  /_control/add[?title=..&kind=notice|news]   -> {"index": ..}
  /_control/failure?index=N&mode=500|timeout|none[&seconds=S]
  /_control/churn    /_control/redesign[?on=0]
  /_control/template?family=trs|hanweb|hanweb2|govcn|xxgk|sidebar|own[&variant=..][&script=..]
  /_control/not_found_page[?on=0]
  /_control/requests                          -> {"path": count, ...} for this site
"""
from __future__ import annotations

import json

from sampleportal.behaviours import Answer
from sampleportal.state import PortalState

CONTROL_PREFIX = "/_control/"


def control(state: PortalState, site: str, action: str, query: dict[str, str]) -> Answer:
    try:
        result = _run(state, site, action, query)
    except (KeyError, ValueError, IndexError) as error:
        return _json(400, {"error": str(error)})
    if result is None:
        return _json(404, {"error": f"no control action {action!r}"})
    return _json(200, result)


def _run(state: PortalState, site: str, action: str, q: dict[str, str]) -> dict | None:
    index = int(q["index"]) if "index" in q else None
    if action == "edit":
        edit = state.edit_body(site, _need(index), q.get("old"), q.get("new"))
        return {"index": edit.index, "what": edit.what, "changes": edit.changes}
    if action == "edit_title":
        edit = state.edit_title(site, _need(index), q.get("title"))
        return {"index": edit.index, "what": edit.what, "changes": edit.changes}
    if action == "remove":
        state.remove(site, _need(index), q.get("how", "404"))
        return {"index": index, "removed": q.get("how", "404")}
    if action == "restore":
        state.restore(site, _need(index))
        return {"index": index}
    if action == "delist":
        state.delist(site, _need(index))
        return {"index": index}
    if action == "add":
        return {"index": state.add(site, q.get("title"), q.get("kind", "notice"))}
    if action == "failure":
        mode = q.get("mode", "500")
        state.set_failure(site, _need(index), None if mode == "none" else mode, float(q.get("seconds", 30)))
        return {"index": index, "mode": mode}
    if action == "churn":
        return {"generation": state.churn()}
    if action == "redesign":
        on = q.get("on", "1") not in ("0", "false")
        state.redesign(site, on)
        return {"redesigned": on}
    if action == "template":
        family = q.get("family", ...)
        choice = state.set_template(site, None if family == "own" else family, q.get("variant", ...),
                                    q.get("script", ...))
        return {"family": choice.family, "variant": None if choice.variant is None else repr(choice.variant),
                "script": choice.script}
    if action == "not_found_page":
        state.set_soft_not_found(site, q.get("on", "1") not in ("0", "false"))
        return {"not_found_page": q.get("on", "1") not in ("0", "false")}
    if action == "requests":
        with state.lock:
            return {p: n for (s, p), n in state.requests.items() if s == site}
    return None


def _need(index: int | None) -> int:
    if index is None:
        raise KeyError("index is required")
    return index


def _json(status: int, payload: dict) -> Answer:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Answer(status, [("Content-Type", "application/json; charset=utf-8")], body)
