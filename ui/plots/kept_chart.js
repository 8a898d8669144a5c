// A plotly chart that stays on the page between reruns: Streamlit mounts a changed st.plotly_chart afresh (a new
// node and a full Plotly.newPlot); this component keeps its node and hands each new figure to Plotly.react, which
// redraws only what changed. plotly.js is loaded once per page, from the plotly package the server runs (loadPlotly,
// from load_plotly.js, which ui.plots.kept puts before this script).
// A chart out of sight (below the fold, in a closed expander) is not redrawn at once: a student's press then waits
// only for the charts on screen. Its new figure is kept in holder.__pending and drawn as soon as the chart comes
// into sight, or when the browser has been free for a moment (REDRAW_LATER_MS), whichever comes first; a newer figure
// replaces a pending one. A chart's first figure is always drawn at once.
// A figure's animation controls as ui.plots.animation.play_controls writes them (one button that plays the frames,
// one slider with a step per frame) are drawn here in HTML below the chart instead of by plotly.js (takePlayer,
// showPlayer): plotly.js lays out, measures and draws every step of its slider and its labels at each redraw, 15 to
// 25 ms of a press on the parts with a hundred frames (Chromium profile). The button plays from the frame shown; the
// rail shows one frame at a time; both run plotly.js's own Plotly.animate, in the browser.
// With data.clicks, a click on a point is sent to the server as the "click" trigger: {x, y, customdata, curve}.
// The data is UTF-8 JSON bytes: {figure, src, config, clicks}.
const REDRAW_LATER_MS = 300;

function drawPending(holder) {
  const pending = holder.__pending;
  if (!pending) return;
  holder.__pending = null;
  if (!holder.isConnected) {  // the chart has left the page since (another part, another page)
    if (holder.__sight) holder.__sight.disconnect();
    holder.__sight = null;  // watched again if it comes back with a figure
    return;
  }
  pending();
}

// Track whether any of the chart is in the viewport; draw a pending figure when it comes into sight.
function watchSight(holder) {
  if (holder.__sight || typeof IntersectionObserver === "undefined") return;
  holder.__inSight = true;  // until the observer's first report, drawn at once
  holder.__sight = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      holder.__inSight = entry.isIntersecting;
      if (entry.isIntersecting) drawPending(holder);
    }
  });
  holder.__sight.observe(holder);
}

// Draw the pending figure a moment from now. A timer already set is kept, not set again: a chart out of sight that
// gets a new figure more often than that (a live training curve) is still drawn every moment or so.
function drawLater(holder) {
  if (holder.__later) return;
  holder.__later = setTimeout(() => {
    const draw = () => {
      holder.__later = null;
      drawPending(holder);
    };
    if (window.requestIdleCallback) window.requestIdleCallback(draw, { timeout: 1000 });
    else draw();
  }, REDRAW_LATER_MS);
}

const PLAYER_ROOM_PX = 60;  // of the figure's bottom margin, what plotly.js's controls took (play_controls)

// The figure's player, taken out of its layout: {names, labels, active, prefix, play, options}, or null when the
// figure has no controls of play_controls' shape (then plotly.js draws whatever it has).
function takePlayer(figure) {
  const layout = figure.layout || {};
  const slider = (layout.sliders || [])[0], menu = (layout.updatemenus || [])[0];
  const button = menu && (menu.buttons || [])[0];
  const steps = (slider && slider.steps) || [];
  const oneFrameEach = steps.length > 0 && steps.every((step) => step.method === "animate"
    && Array.isArray(step.args) && Array.isArray(step.args[0]) && step.args[0].length === 1);
  if (!oneFrameEach || layout.sliders.length !== 1 || layout.updatemenus.length !== 1 || !button
      || menu.buttons.length !== 1 || button.method !== "animate" || !(figure.frames || []).length) return null;
  delete layout.sliders;
  delete layout.updatemenus;
  const margin = layout.margin || {};
  const room = Math.min(PLAYER_ROOM_PX, Math.max(0, (margin.b ?? 80) - 40));
  layout.margin = { ...margin, b: (margin.b ?? 80) - room };
  if (layout.height) layout.height -= room;
  return { names: steps.map((step) => step.args[0][0]), labels: steps.map((step) => String(step.label ?? "")),
           active: Math.min(slider.active || 0, steps.length - 1), prefix: (slider.currentvalue || {}).prefix || "",
           play: button.label, options: (button.args || [])[1] || {} };
}

// The HTML player below the chart, made once per chart and set to ``player`` (hidden when null).
function showPlayer(holder, plot, player) {
  let bar = holder.querySelector("[data-player]");
  if (!bar) {
    bar = document.createElement("div");
    bar.setAttribute("data-player", "");
    bar.style.cssText = "display:flex;align-items:center;gap:0.75rem;padding:0.25rem 0 0.5rem 0;font-size:0.875rem";
    const play = document.createElement("button");
    play.type = "button";
    play.style.cssText = "font:inherit;color:inherit;background:transparent;cursor:pointer;white-space:nowrap;"
      + "border:1px solid var(--st-border-color, rgba(128,128,128,0.4));border-radius:0.5rem;padding:0.25rem 0.75rem";
    const rail = document.createElement("input");
    rail.type = "range";
    rail.min = "0";
    rail.step = "1";
    rail.style.cssText = "flex:1;min-width:4rem;accent-color:var(--st-primary-color, #ff4b4b)";
    const reading = document.createElement("span");
    reading.style.cssText = "white-space:nowrap;min-width:4.5rem;text-align:right;font-variant-numeric:tabular-nums";
    bar.append(play, rail, reading);
    holder.appendChild(bar);
    const show = (i) => {
      const p = holder.__player;
      rail.value = String(i);
      reading.textContent = p.prefix + p.labels[i];
      rail.setAttribute("aria-valuetext", reading.textContent);
    };
    rail.addEventListener("input", () => {
      const i = Number(rail.value);
      show(i);
      window.Plotly.animate(plot, [holder.__player.names[i]], { frame: { duration: 0, redraw: true },
                                                                transition: { duration: 0 }, mode: "immediate" });
    });
    play.addEventListener("click", () => {
      const p = holder.__player;
      const from = Number(rail.value) >= p.names.length - 1 ? 0 : Number(rail.value);
      window.Plotly.animate(plot, p.names.slice(from), { ...p.options, mode: "immediate" });
    });
    plot.on("plotly_animatingframe", (event) => {
      const i = holder.__player ? holder.__player.names.indexOf(event.name) : -1;
      if (i >= 0) show(i);
    });
    bar.__show = show;
  }
  holder.__player = player;
  bar.style.display = player ? "flex" : "none";
  if (!player) return;
  const [play, rail] = bar.children;
  play.textContent = player.play;
  rail.max = String(player.names.length - 1);
  rail.setAttribute("aria-label", player.play);  // not the reading's words: those name a control of the page too
  bar.__show(player.active);
}

export default function ({ data: bytes, parentElement, setTriggerValue }) {
  const data = JSON.parse(new TextDecoder().decode(bytes));
  let holder = parentElement.querySelector("[data-testid='stPlotlyChart']");
  if (!holder) {
    holder = document.createElement("div");
    holder.setAttribute("data-testid", "stPlotlyChart");  // found by the tests as Streamlit's own charts are
    holder.style.width = "100%";
    parentElement.appendChild(holder);
  }
  let plot = holder.firstElementChild;
  if (!plot) {
    plot = document.createElement("div");
    holder.appendChild(plot);
  }
  holder.__trigger = setTriggerValue;  // the latest run's, for the click handler bound once below
  const figure = data.figure;
  const player = takePlayer(figure);
  const latest = (holder.__latest = {});  // a newer figure that arrives while plotly.js loads wins
  const draw = () => loadPlotly(data.src).then((Plotly) => {
    if (holder.__latest !== latest) return;
    return Plotly.react(plot, { data: figure.data, layout: figure.layout, frames: figure.frames || [],
                                config: data.config }).then(() => {
      if (player || holder.querySelector("[data-player]")) showPlayer(holder, plot, player);
      if (data.clicks && !plot.__clicks) {
        plot.__clicks = true;
        plot.on("plotly_click", (event) => {
          const point = event.points && event.points[0];
          if (!point) return;
          holder.__trigger("click", { x: point.x, y: point.y, customdata: point.customdata ?? null,
                                      curve: point.curveNumber });
        });
      }
    });
  });
  watchSight(holder);
  if (!plot._fullLayout || holder.__inSight) {
    holder.__pending = null;
    draw();
  } else {
    holder.__pending = draw;
    drawLater(holder);
  }
}
