// cxsync report: the demand chart, filters and sorting. No network, no libraries, no innerHTML:
// every piece of customer text reaches the page through textContent or an attribute.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const data = JSON.parse(document.getElementById("cxsync-data").textContent);
  const list = document.getElementById("group-list");
  const cards = Array.from(list.querySelectorAll("article.group"));
  const byId = new Map(data.groups.map((g) => [g.id, g]));
  const haystack = new Map(cards.map((c) => [c, c.textContent.toLocaleLowerCase()]));
  const numbers = new Intl.NumberFormat(data.lang === "ko" ? "ko-KR" : "en-US");
  const state = { metric: "requests", query: "", action: "", tag: "", sort: "rank" };

  function node(name, attrs, text) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function shown() {
    return cards.filter((c) => !c.hidden).map((c) => byId.get(c.dataset.id));
  }

  function label(group) {
    const text = group.summary;
    return text.length > 34 ? text.slice(0, 33) + "…" : text;
  }

  function formatted(value) {
    const text = numbers.format(value);
    return state.metric === "revenue" && data.currencySign ? data.currencySign + text : text;
  }

  function drawChart() {
    const metric = state.metric;
    const top = shown()
      .filter((g) => g[metric] > 0)
      .sort((a, b) => b[metric] - a[metric] || a.rank - b.rank)
      .slice(0, data.top);
    const rowHeight = 26, labelWidth = 330, width = 960, barSpace = width - labelWidth - 140;
    const height = Math.max(1, top.length) * rowHeight + 8;
    const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": data.text.chartTitle });
    const max = Math.max(1, ...top.map((g) => g[metric]));
    if (top.length === 0) svg.appendChild(node("text", { x: 0, y: 18 }, data.text.noData));
    top.forEach((group, i) => {
      const y = 4 + i * rowHeight, barWidth = Math.max(2, (group[metric] / max) * barSpace);
      const link = node("a", { href: "#g-" + group.id });
      link.appendChild(node("title", {}, `#${group.rank} ${group.summary}: ${formatted(group[metric])}`));
      link.appendChild(node("text", { x: labelWidth - 8, y: y + 16, "text-anchor": "end", class: "label" }, label(group)));
      link.appendChild(node("rect", { x: labelWidth, y: y + 3, width: barWidth, height: rowHeight - 8, rx: 3,
        class: "bar " + group.action, "data-value": group[metric] }));
      link.appendChild(node("text", { x: labelWidth + barWidth + 6, y: y + 16, class: "value" }, formatted(group[metric])));
      svg.appendChild(link);
    });
    document.getElementById("chart").replaceChildren(svg);
    document.documentElement.dataset.chart = "ready";
  }

  function matches(card) {
    const group = byId.get(card.dataset.id);
    if (state.action && group.action !== state.action) return false;
    if (state.tag && group.tag !== state.tag) return false;
    return !state.query || haystack.get(card).includes(state.query);
  }

  function sortCards() {
    const key = state.sort;
    const value = (card) => byId.get(card.dataset.id)[key];
    const ordered = cards.slice().sort((a, b) => {
      if (key === "rank") return value(a) - value(b);
      if (key === "lastSeen") return String(value(b)).localeCompare(String(value(a))) || value(a) - value(b);
      return value(b) - value(a) || byId.get(a.dataset.id).rank - byId.get(b.dataset.id).rank;
    });
    for (const card of ordered) list.appendChild(card);
  }

  function refresh() {
    for (const card of cards) card.hidden = !matches(card);
    const count = cards.filter((c) => !c.hidden).length;
    document.getElementById("shown").textContent = data.text.shown
      .replace("{shown}", String(count)).replace("{total}", String(cards.length));
    drawChart();
  }

  function on(id, event, handler) {
    document.getElementById(id).addEventListener(event, (e) => handler(e.target.value));
  }

  on("q", "input", (v) => { state.query = v.trim().toLocaleLowerCase(); refresh(); });
  on("action", "change", (v) => { state.action = v; refresh(); });
  on("tag", "change", (v) => { state.tag = v; refresh(); });
  on("sort", "change", (v) => { state.sort = v; sortCards(); });
  for (const button of document.querySelectorAll(".metric button")) {
    button.addEventListener("click", () => {
      state.metric = button.dataset.metric;
      for (const b of document.querySelectorAll(".metric button")) b.setAttribute("aria-pressed", String(b === button));
      drawChart();
    });
  }
  document.getElementById("controls").hidden = false;
  document.getElementById("metric").hidden = false;
  refresh();
})();
