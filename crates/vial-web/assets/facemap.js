// Vial face map: the provider taps the face diagram where they injected; each tap adds a point
// at its image-relative position (0..1 across and down the drawing), with the nearest injection
// site preselected and a units field. Points are listed, can change site or be removed, and on
// submit are serialized into the form's hidden `points` field as JSON. Also keeps each lot list
// to the lots of its chosen product. Loaded as a file: the CSP allows no inline script. Keeps no
// data anywhere but the page itself.
(() => {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";

  // A lot select shows only the lots of the product chosen beside it.
  for (const product of document.querySelectorAll("select[data-lots]")) {
    const lots = document.getElementById(product.dataset.lots);
    if (!lots) continue;
    const follow = () => {
      let current = false;
      for (const option of lots.options) {
        if (!option.value) continue;
        const match = option.dataset.product === product.value;
        option.hidden = !match;
        option.disabled = !match;
        if (match && option.selected) current = true;
      }
      if (!current) {
        const first = Array.from(lots.options).find((o) => o.value && !o.disabled);
        lots.value = first ? first.value : "";
      }
    };
    product.addEventListener("change", follow);
    follow();
  }

  const svg = document.getElementById("facemap-svg");
  const map = document.getElementById("facemap");
  const layer = document.getElementById("facemap-points");
  const list = document.getElementById("points-list");
  const field = document.getElementById("points-field");
  const totalOut = document.getElementById("points-total");
  const siteOptions = document.getElementById("site-options");
  const hint = document.getElementById("facemap-hint");
  if (!svg || !map || !layer || !list || !field || !totalOut || !siteOptions) return;
  const form = field.form;
  const box = svg.viewBox.baseVal;
  const sites = Array.from(siteOptions.options).map((o) => ({
    code: o.value,
    label: o.textContent,
    x: Number(o.dataset.x),
    y: Number(o.dataset.y),
  }));
  if (!sites.length) return;
  const byCode = new Map(sites.map((s) => [s.code, s]));
  let points = [];

  const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 1000) / 1000));

  // The site whose default position is nearest, measured on the drawing (not in 0..1 units,
  // which would stretch the face vertically).
  function nearest(x, y) {
    let best = sites[0];
    let bestDistance = Infinity;
    for (const site of sites) {
      const dx = (site.x - x) * box.width;
      const dy = (site.y - y) * box.height;
      const distance = dx * dx + dy * dy;
      if (distance < bestDistance) {
        bestDistance = distance;
        best = site;
      }
    }
    return best.code;
  }

  function total() {
    let sum = 0;
    for (const p of points) {
      const units = Number(p.units.value);
      if (p.units.value !== "" && Number.isFinite(units)) sum += units;
    }
    totalOut.textContent = String(Math.round(sum * 100) / 100);
  }

  function renumber() {
    points.forEach((p, i) => {
      const n = String(i + 1);
      p.number.textContent = n;
      p.badge.textContent = n;
      p.select.setAttribute("aria-label", `Site of point ${n}`);
      p.units.setAttribute("aria-label", `Units at point ${n}`);
      p.remove.setAttribute("aria-label", `Remove point ${n}`);
      p.item.dataset.index = n;
    });
    total();
  }

  function moveMarker(p) {
    p.circle.setAttribute("cx", String(p.x * box.width + box.x));
    p.circle.setAttribute("cy", String(p.y * box.height + box.y));
    p.number.setAttribute("x", String(p.x * box.width + box.x));
    p.number.setAttribute("y", String(p.y * box.height + box.y));
  }

  // Adds a point; `placed` says it was tapped (else it follows its site's default position).
  function add(x, y, site, units, placed) {
    const marker = document.createElementNS(NS, "g");
    marker.setAttribute("class", "point-marker");
    const circle = document.createElementNS(NS, "circle");
    circle.setAttribute("r", "9");
    const title = document.createElementNS(NS, "title");
    circle.appendChild(title);
    const number = document.createElementNS(NS, "text");
    number.setAttribute("dy", "4");
    marker.append(circle, number);
    layer.appendChild(marker);

    const item = document.createElement("li");
    item.className = "point";
    const badge = document.createElement("span");
    badge.className = "point-n";
    const select = document.createElement("select");
    select.className = "point-site";
    for (const s of sites) select.add(new Option(s.label, s.code));
    select.value = site;
    const input = document.createElement("input");
    input.type = "number";
    input.className = "point-units";
    input.min = "0.01";
    input.max = "100";
    input.step = "0.01";
    input.inputMode = "decimal";
    input.placeholder = "units";
    input.required = true;
    input.value = units === undefined || units === null ? "" : String(units);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary point-remove";
    remove.textContent = "Remove";
    item.append(badge, select, input, remove);
    list.appendChild(item);

    const point = { x, y, placed, marker, circle, number, title, item, badge, select, units: input, remove };
    const describe = () => {
      title.textContent = byCode.get(select.value)?.label || select.value;
    };
    select.addEventListener("change", () => {
      if (!point.placed) {
        const s = byCode.get(select.value);
        if (s) {
          point.x = s.x;
          point.y = s.y;
          moveMarker(point);
        }
      }
      describe();
    });
    input.addEventListener("input", total);
    remove.addEventListener("click", () => {
      points = points.filter((p) => p !== point);
      marker.remove();
      item.remove();
      renumber();
    });
    moveMarker(point);
    describe();
    points.push(point);
    renumber();
    return point;
  }

  const lastUnits = () => (points.length ? points[points.length - 1].units.value : "");

  svg.addEventListener("click", (event) => {
    const ctm = svg.getScreenCTM();
    if (!ctm) return;
    const at = svg.createSVGPoint();
    at.x = event.clientX;
    at.y = event.clientY;
    const local = at.matrixTransform(ctm.inverse());
    const x = clamp((local.x - box.x) / box.width);
    const y = clamp((local.y - box.y) / box.height);
    add(x, y, nearest(x, y), lastUnits(), true);
  });

  // Without a pointer (keyboard, screen reader): add a point at a site's usual position.
  const addButton = document.createElement("button");
  addButton.type = "button";
  addButton.className = "secondary";
  addButton.id = "add-point";
  addButton.textContent = "Add a point by site instead";
  addButton.addEventListener("click", () => {
    const site = sites[0];
    const point = add(site.x, site.y, site.code, lastUnits(), false);
    point.select.focus();
  });
  list.after(addButton);

  if (hint) {
    hint.textContent =
      "Tap the face where you injected: the nearest site is chosen for you (change it if needed), then enter the units.";
  }

  // Points kept from a refused submission are drawn again.
  try {
    const initial = JSON.parse(map.dataset.initial || "[]");
    if (Array.isArray(initial)) {
      for (const p of initial) {
        if (byCode.has(p.site) && Number.isFinite(p.x) && Number.isFinite(p.y)) {
          add(clamp(p.x), clamp(p.y), p.site, p.units, true);
        }
      }
    }
  } catch (_) {
    // Nothing to restore.
  }

  form.addEventListener("submit", () => {
    field.value = JSON.stringify(
      points.map((p) => ({
        site: p.select.value,
        units: Number(p.units.value),
        x: p.x,
        y: p.y,
      })),
    );
  });
})();
