// A plotly chart that stays on the page between reruns: Streamlit mounts a changed st.plotly_chart afresh (a new
// node and a full Plotly.newPlot); this component keeps its node and hands each new figure to Plotly.react, which
// redraws only what changed. plotly.js is loaded once per page, from the plotly package the server runs (loadPlotly,
// from load_plotly.js, which ui.plots.kept puts before this script).
// With data.clicks, a click on a point is sent to the server as the "click" trigger: {x, y, customdata, curve}.
// The data is UTF-8 JSON bytes: {figure, src, config, clicks}.
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
  loadPlotly(data.src).then((Plotly) => {
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
}
