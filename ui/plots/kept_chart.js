// A plotly chart that stays on the page between reruns: Streamlit mounts a changed st.plotly_chart afresh (a new
// node and a full Plotly.newPlot); this component keeps its node and hands each new figure to Plotly.react, which
// redraws only what changed. plotly.js is loaded once per page, from the plotly package the server runs (loadPlotly,
// from load_plotly.js, which ui.plots.kept puts before this script).
// A chart out of sight (below the fold, in a closed expander) is not redrawn at once: a student's press then waits
// only for the charts on screen. Its new figure is kept in holder.__pending and drawn as soon as the chart comes
// into sight, or when the browser has been free for a moment (REDRAW_LATER_MS), whichever comes first; a newer figure
// replaces a pending one. A chart's first figure is always drawn at once.
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

function drawLater(holder) {
  clearTimeout(holder.__later);
  holder.__later = setTimeout(() => {
    if (window.requestIdleCallback) window.requestIdleCallback(() => drawPending(holder), { timeout: 1000 });
    else drawPending(holder);
  }, REDRAW_LATER_MS);
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
  const latest = (holder.__latest = {});  // a newer figure that arrives while plotly.js loads wins
  const draw = () => loadPlotly(data.src).then((Plotly) => {
    if (holder.__latest !== latest) return;
    return Plotly.react(plot, { data: figure.data, layout: figure.layout, frames: figure.frames || [],
                                config: data.config }).then(() => {
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
