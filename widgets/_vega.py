"""``LiveChart``: a Vega-Lite chart in the page whose data is replaced in place.

``altair.JupyterChart`` re-embeds its chart (Vega-Lite compile, Vega parse, a full SVG redraw)
whenever its spec changes. The explorer's chart keeps its structure through most interactions
(a weight move changes ranks, scores and roles; a constraint move statuses and the SLO line), so
this widget draws a spec once and then hands new rows to the running Vega view
(``view.change(name, changeset)``): the marks already drawn are updated, the brush stays where it
is, nothing is compiled again.

State (synced traitlets, so a second view of the widget, or a page opened later, shows the same):

- ``spec``: the Vega-Lite spec without its rows, drawn with vega-embed when ``draws`` changes
  (:meth:`draw`; its rows go as ``data``);
- ``data``: ``{dataset: rows}`` that replace the spec's own rows, in place (sent as one binary
  buffer of JSON columns per dataset: :func:`_pack_rows`);
- ``patch``: new values of some fields of the drawn rows (a weight move's ranks, scores, roles);
- ``brush``: the ``brush`` interval selection as the page reports it (``{field: [a, b]}``).

A spec made by ``workbench.views.hover_tooltips`` lists its candidates' tooltip fields in its
``usermeta``: the page formats a candidate's row on hover, as Vega-Lite would have formatted it
into every mark (see there why).

Vega comes from vl-convert's bundle, inside the widget's module: no CDN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import anywidget
import traitlets

__all__ = ["LiveChart"]

#: vega-embed options: SVG (every mark has an ARIA label), no link to the online editor.
EMBED_OPTIONS = {"renderer": "svg", "actions": {"export": True, "source": True, "compiled": False, "editor": False}}

_JS = r"""
async function render({ model, el }) {
  let api = null, finalize = null, current = {}, embedded = null;  // embedded: the draw on show
  const showError = (error) => {
    el.innerHTML = '<div role="alert" style="color:#8b0000">The chart could not be drawn: '
      + String(error && error.message || error).replace(/[&<>]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;'}[c]))
      + '</div>';
  };
  // Rows are replaced by candidate id where the dataset has one: a row that stays keeps its mark
  // (Vega updates it), so the SVG is patched rather than rebuilt.
  const keyOf = (rows) => rows.length && rows[0] && Object.prototype.hasOwnProperty.call(rows[0], 'candidate')
    ? 'candidate' : null;
  const replace = (view, name, rows) => {
    let tuples;
    try { tuples = view.data(name); } catch (e) { return false; }
    const key = keyOf(rows);
    if (key === null || !tuples || !tuples.length) {
      view.change(name, view.changeset().remove(() => true).insert(rows));
      return true;
    }
    const fresh = new Map(rows.map(r => [r[key], r]));
    const kept = new Set();
    const cs = view.changeset();
    const fields = new Set();
    for (const t of tuples) {
      const r = fresh.get(t[key]);
      if (r === undefined) { cs.remove(t); continue; }
      kept.add(t[key]);
      for (const f of Object.keys(r)) {
        if (t[f] !== r[f]) { fields.add(f); }
      }
    }
    for (const f of fields) {
      cs.modify(t => kept.has(t[key]) && fresh.get(t[key])[f] !== t[f], f, t => fresh.get(t[key])[f]);
    }
    cs.insert(rows.filter(r => !kept.has(r[key])));
    view.change(name, cs);
    return true;
  };
  // A patch: new values of some fields of rows already drawn, column by column, keyed by id.
  const patchView = (view, patch) => {
    for (const [name, p] of Object.entries(patch || {})) {
      let tuples;
      try { tuples = view.data(name); } catch (e) { continue; }
      if (!tuples || !tuples.length) continue;
      const key = p.key, index = new Map(p.keys.map((k, i) => [k, i]));
      const cs = view.changeset();
      for (const [f, values] of Object.entries(p.fields)) {
        cs.modify(t => index.has(t[key]) && t[f] !== values[index.get(t[key])], f, t => values[index.get(t[key])]);
      }
      view.change(name, cs);
    }
  };
  const applyPatch = async () => {
    if (!api) return;
    patchView(api.view, model.get('patch'));
    await api.view.runAsync();
    el.dataset.revision = String(model.get('revision'));
  };
  // Rows come as one binary buffer per dataset: JSON of their columns, each field named once
  // (LiveChart's serializer); a dataset's rows are rebuilt once per buffer received.
  const unpacked = new WeakMap();
  const rowsOf = (raw) => {
    if (!(raw instanceof DataView || raw instanceof ArrayBuffer)) return raw;
    let rows = unpacked.get(raw);
    if (rows === undefined) {
      const packed = JSON.parse(new TextDecoder().decode(raw));
      if (packed.rows) {
        rows = packed.rows;
      } else {
        const names = Object.keys(packed.columns), columns = names.map(f => packed.columns[f]);
        rows = new Array(packed.length);
        for (let i = 0; i < packed.length; i++) {
          const row = {};
          for (let j = 0; j < names.length; j++) row[names[j]] = columns[j][i];
          rows[i] = row;
        }
      }
      unpacked.set(raw, rows);
    }
    return rows;
  };
  const dataOf = () => Object.fromEntries(Object.entries(model.get('data') || {}).map(([k, v]) => [k, rowsOf(v)]));
  const applyData = async () => {
    // A new drawing on its way (its rows come with it) takes the rows itself.
    if (!api || embedded !== model.get('draws')) return;
    const data = dataOf();
    for (const [name, rows] of Object.entries(data)) {
      if (current[name] === rows) continue;
      if (!replace(api.view, name, rows)) { await embed(); return; }
      current[name] = rows;
    }
    await api.view.runAsync();
    el.dataset.revision = String(model.get('revision'));
  };
  // Tooltips as vega-tooltip formats them (its default formatter, which a custom one replaces).
  // A candidate mark's tooltip is its row (workbench.views.hover_tooltips): it is first formatted
  // by the fields, titles and formats its spec lists, as Vega-Lite would have formatted it into
  // the mark. A row holds every listed field; a Vega-Lite tooltip object holds titles instead.
  const formatTooltip = (tips) => (value, sanitize, maxDepth, baseURL) => {
    const entries = value === Object(value) && api
      && Object.values(tips).find(list => list.every(e => Object.prototype.hasOwnProperty.call(value, e.key)));
    if (entries) {
      const locale = api.view.locale(), out = {};
      for (const e of entries) {
        const v = value[e.key];
        out[e.title] = e.quantitative ? locale.format(e.format || '')(v)
          : (v === null || v === undefined || v !== v) ? String(v) : Array.isArray(v) ? v.join('\n') : v;
      }
      value = out;
    }
    const json = (v) => {
      const seen = [];
      return JSON.stringify(v, function (_, x) {
        if (typeof x !== 'object' || x === null) return x;
        seen.length = seen.indexOf(this) + 1;
        if (seen.length > maxDepth) return '[Object]';
        if (seen.indexOf(x) >= 0) return '[Circular]';
        seen.push(x);
        return x;
      });
    };
    if (Array.isArray(value)) return `[${value.map(v => sanitize(typeof v === 'string' ? v : json(v))).join(', ')}]`;
    if (value === Object(value)) {
      const {title, image, ...rest} = value;
      let html = '';
      if (title) html += `<h2>${sanitize(title)}</h2>`;
      if (image) html += `<img src="${new URL(sanitize(image), baseURL || location.href).href}">`;
      const keys = Object.keys(rest);
      if (keys.length) {
        html += '<table>';
        for (const k of keys) {
          let v = rest[k];
          if (v === undefined) continue;
          if (v === Object(v)) v = json(v);
          html += `<tr><td class="key">${sanitize(k)}</td><td class="value">${sanitize(v)}</td></tr>`;
        }
        html += '</table>';
      }
      return html || '{}';
    }
    return sanitize(value);
  };
  const embed = async () => {
    if (finalize) { finalize(); finalize = null; api = null; }
    embedded = model.get('draws');
    const spec = model.get('spec');
    if (!spec || !Object.keys(spec).length) { el.replaceChildren(); return; }
    const full = structuredClone(spec);
    const data = dataOf();
    full.datasets = {...(full.datasets || {}), ...data};
    try {
      const options = structuredClone(model.get('embed_options') || {});
      const tips = (spec.usermeta || {}).wbHoverTooltips;
      if (tips && options.tooltip !== false) {
        options.tooltip = {...(options.tooltip || {}), formatTooltip: formatTooltip(tips)};
      }
      api = await vegaEmbed(el, full, options);
    } catch (error) { showError(error); return; }
    finalize = api.finalize;
    current = {...data};
    if (Object.keys(model.get('patch') || {}).length) {
      patchView(api.view, model.get('patch'));
      await api.view.runAsync();
    }
    el.dataset.revision = String(model.get('revision'));
    let names = [];
    try { api.view.signal('brush'); names = ['brush']; } catch (e) { names = []; }
    for (const name of names) {
      const initial = api.view.signal(name);
      if (initial && Object.keys(initial).length) {
        model.set('brush', JSON.parse(JSON.stringify(initial)));
        model.save_changes();
      }
      api.view.addSignalListener(name, lodashDebounce((_, value) => {
        model.set('brush', JSON.parse(JSON.stringify(value || {})));
        model.save_changes();
      }, 10, {leading: false, trailing: true, maxWait: 10}));
    }
  };
  model.on('change:draws', embed);
  model.on('change:embed_options', embed);
  model.on('change:data', applyData);
  model.on('change:patch', applyPatch);
  await embed();
  return () => { if (finalize) finalize(); };
}
export default { render };
"""


def _bundle() -> str:
    """The widget's module with Vega, Vega-Lite and vega-embed bundled in (vl-convert; ~1 s, once)."""
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    return vlc.javascript_bundle(_JS, vl_version=vl_version_for_vl_convert())


def _pack_rows(rows: list[dict[str, Any]]) -> memoryview:
    """Rows as the page receives them: one binary buffer of JSON, column by column (each field
    named once, not once per row) when every row has the same fields in the same order.

    At 5,000 drawn candidates that is half the bytes of the rows as JSON objects, and ipywidgets
    sends a buffer as it is instead of walking every row for buffers and encoding it again.
    """
    fields = tuple(rows[0]) if rows else ()
    if all(tuple(r) == fields for r in rows):
        columns = zip(*(r.values() for r in rows), strict=True)
        payload: dict[str, Any] = {"length": len(rows), "columns": dict(zip(fields, map(list, columns), strict=True))}
    else:
        payload = {"rows": rows}
    return memoryview(json.dumps(payload, separators=(",", ":"), allow_nan=False).encode())


def _unpack_rows(raw: Any) -> list[dict[str, Any]]:
    """The rows :func:`_pack_rows` packed (rows given as rows are returned as they are)."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        return raw
    payload = json.loads(bytes(raw))
    if "rows" in payload:
        return payload["rows"]
    names, columns = list(payload["columns"]), list(payload["columns"].values())
    return (
        [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
        if names
        else [{} for _ in range(payload["length"])]
    )


def _data_to_json(data: Mapping[str, list[dict[str, Any]]], widget: Any) -> dict[str, memoryview]:
    return {name: _pack_rows(list(rows)) for name, rows in data.items()}


def _data_from_json(data: Mapping[str, Any] | None, widget: Any) -> dict[str, list[dict[str, Any]]]:
    return {name: _unpack_rows(raw) for name, raw in (data or {}).items()}


class LiveChart(anywidget.AnyWidget):
    """A Vega-Lite spec drawn once; :meth:`replace_data` updates its rows in the running view.

    Examples
    --------
    >>> chart = LiveChart()  # doctest: +SKIP
    >>> chart.draw(spec)  # doctest: +SKIP
    >>> chart.replace_data({"candidates": rows})  # doctest: +SKIP
    """

    _esm = traitlets.Unicode("").tag(sync=True)
    spec = traitlets.Dict(help="The Vega-Lite spec drawn.").tag(sync=True)
    draws = traitlets.Int(0, help="Counts the draws: the page embeds the spec when it changes.").tag(sync=True)
    data = traitlets.Dict(help="Rows that replace the spec's datasets, in place.").tag(
        sync=True, to_json=_data_to_json, from_json=_data_from_json
    )
    patch = traitlets.Dict(help="New values of some fields of the drawn rows: {dataset: {key, keys, fields}}.").tag(
        sync=True
    )
    embed_options = traitlets.Dict(EMBED_OPTIONS).tag(sync=True)
    brush = traitlets.Dict(help="The brush interval as the page reports it: {field: [a, b]}.").tag(sync=True)
    revision = traitlets.Int(0, help="Counts the draws and data updates (the page shows it on the chart).").tag(
        sync=True
    )

    _bundle_cache: str | None = None

    def __init__(self, **kwargs: Any) -> None:
        if LiveChart._bundle_cache is None:
            LiveChart._bundle_cache = _bundle()
        super().__init__(_esm=LiveChart._bundle_cache, **kwargs)

    def draw(self, spec: Mapping[str, Any]) -> None:
        """Draw ``spec`` anew (the page re-embeds it). Its rows travel as ``data``, packed like
        every replacement (the spec itself holds none): half the bytes of a drawing at 1e5."""
        spec = dict(spec)
        datasets = spec.pop("datasets", None) or {}
        with self.hold_sync():
            self.revision += 1
            self.data = dict(datasets)
            self.patch = {}
            self.brush = {}  # the page reports the new drawing's own brush, if it has one
            self.spec = spec
            self.draws += 1

    def replace_data(self, datasets: Mapping[str, list[dict[str, Any]]]) -> None:
        """Give the drawn view new rows for the named datasets (the page changes them in place)."""
        with self.hold_sync():
            self.revision += 1
            self.patch = {name: p for name, p in self.patch.items() if name not in datasets}
            self.data = {**self.data, **datasets}

    def apply_patch(self, patch: Mapping[str, Any]) -> None:
        """Change some fields of the drawn rows in place: ``{dataset: {"key": field, "keys": [...],
        "fields": {field: [values]}}}`` (see ``workbench.views.LiveView.patch``)."""
        with self.hold_sync():
            self.revision += 1
            self.patch = {**self.patch, **patch}

    def drawn_spec(self) -> dict[str, Any]:
        """The spec as the page shows it: with the rows on show (:meth:`datasets`)."""
        return {**self.spec, "datasets": self.datasets()}

    def datasets(self) -> dict[str, list[dict[str, Any]]]:
        """The rows on show: the spec's datasets with the replacements and the patch applied."""
        out = {**self.spec.get("datasets", {}), **self.data}
        for name, p in self.patch.items():
            index = {k: i for i, k in enumerate(p["keys"])}
            out[name] = [
                {**r, **{f: v[index[r[p["key"]]]] for f, v in p["fields"].items()}} if r.get(p["key"]) in index else r
                for r in out.get(name, [])
            ]
        return out
