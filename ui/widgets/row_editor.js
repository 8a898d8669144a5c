// A table of choices: one row per item (a layer, a block), a native <select> (or a checkbox) per field. It is one
// element for Streamlit to send and React to render however many rows it has, where a row of Streamlit selectboxes
// was four or five (ui.widgets.row_editor). The table is built once per shape (its fields and rows) and only its
// values change after that, so a select keeps the focus across reruns. An edit is sent as the trigger "edit":
// {row, field, index} (the option's place in the field's list: a value itself could come back as another type,
// 1.0 as 1), which the server checks before it takes it.
// The data is UTF-8 JSON bytes: {fields: [{name, label, options, shown}], rows: [{name, values}], dark}; a field
// whose "shown" is null is a checkbox for false / true.
export default function ({ data: bytes, parentElement, setTriggerValue }) {
  const data = JSON.parse(new TextDecoder().decode(bytes));
  let grid = parentElement.querySelector(".dlp-row-editor");
  if (!grid) {
    const frame = document.createElement("div");  // what the narrow layout measures (a container query)
    frame.className = "dlp-row-editor-frame";
    grid = document.createElement("div");
    grid.className = "dlp-row-editor";
    frame.appendChild(grid);
    parentElement.appendChild(frame);
  }
  grid.__trigger = setTriggerValue;  // the latest run's, for the handlers bound when the table was built
  grid.style.colorScheme = data.dark ? "dark" : "light";  // native drop-downs in the page's theme
  const shape = JSON.stringify([data.fields, data.rows.map((row) => row.name)]);
  if (grid.__shape !== shape) {
    const focused = grid.contains(document.activeElement) ? document.activeElement.dataset.cell : null;
    build(grid, data);
    grid.__shape = shape;
    const again = focused && grid.querySelector(`[data-cell="${focused}"]`);
    if (again) again.focus();
  }
  data.rows.forEach((row, r) => data.fields.forEach((field) => {
    const control = grid.querySelector(`[data-cell="${r}:${field.name}"]`);
    const value = row.values[field.name];
    if (field.shown === null) control.checked = value === true;
    else control.value = String(field.options.findIndex((option) => option === value));
  }));
}

function build(grid, data) {
  grid.replaceChildren();
  // the names and the checkboxes as wide as they need, the selects sharing the rest
  grid.style.setProperty("--columns", ["max-content", ...data.fields.map(
    (field) => (field.shown === null ? "max-content" : "minmax(0, 1fr)"))].join(" "));
  const corner = document.createElement("span");  // above the rows' names
  corner.className = "dlp-row-editor-head";
  grid.appendChild(corner);
  for (const field of data.fields) {
    const head = document.createElement("span");
    head.className = "dlp-row-editor-head";
    head.textContent = field.label;
    grid.appendChild(head);
  }
  data.rows.forEach((row, r) => {
    const name = document.createElement("span");
    name.className = "dlp-row-editor-name";
    name.textContent = row.name;
    grid.appendChild(name);
    for (const field of data.fields) {
      const cell = `${r}:${field.name}`;
      let control;
      if (field.shown === null) {
        control = document.createElement("input");
        control.type = "checkbox";
        control.addEventListener("change", () => grid.__trigger("edit", { row: r, field: field.name,
                                                                          index: control.checked ? 1 : 0 }));
      } else {
        control = document.createElement("select");
        field.shown.forEach((label, i) => control.appendChild(new Option(label, String(i))));
        control.addEventListener("change", () => grid.__trigger("edit", { row: r, field: field.name,
                                                                          index: Number(control.value) }));
      }
      control.dataset.cell = cell;
      control.setAttribute("aria-label", `${row.name} · ${field.label}`);
      const holder = document.createElement(field.shown === null ? "label" : "span");
      holder.className = "dlp-row-editor-cell";
      holder.appendChild(control);
      if (field.shown === null) {  // a checkbox names itself where the column's head is not shown (a phone)
        const inline = document.createElement("span");
        inline.className = "dlp-row-editor-inline";
        inline.textContent = field.label;
        holder.appendChild(inline);
      }
      grid.appendChild(holder);
    }
  });
}
