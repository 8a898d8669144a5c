// plotly.js, loaded once per page: the promise of window.Plotly, kept in window.__keptChartPlotly. The loader in the
// sidebar of every page with charts calls this first (ui.plots.kept.load_plotly_early); each chart calls it again.
function loadPlotly(src) {
  window.__keptChartPlotly = window.__keptChartPlotly || new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error("plotly.js did not load from " + src));
    document.head.appendChild(script);
  });
  return window.__keptChartPlotly;
}
