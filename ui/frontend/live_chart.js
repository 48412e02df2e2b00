// A Plotly chart redrawn in place (ui/live_chart.py). Streamlit calls render() with the same parentElement each
// time the page sends a new figure; the chart stays the same <div> and Plotly.react updates it, which keeps the
// reader's zoom, legend choices and tooltip while layout.uirevision stays the same.
//
// Nothing here builds HTML from data: the chart is Plotly's, and the one message this file writes uses
// textContent.

let plotlyLoading = null

// plotly.js from the installed plotly package, served by the Streamlit server: loaded once per page.
function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly)
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script")
      script.src = src
      const failed = () => {
        plotlyLoading = null // the next redraw tries again
        reject(new Error(`plotly.js could not be loaded from ${src}`))
      }
      script.onload = () => (window.Plotly ? resolve(window.Plotly) : failed())
      script.onerror = failed
      document.head.appendChild(script)
    })
  }
  return plotlyLoading
}

// A CSS colour as Plotly reads colours ("rgb(...)"/"rgba(...)"), with its alpha scaled by `alpha`.
function cssColor(probe, value, alpha = 1) {
  probe.style.color = value
  const m = getComputedStyle(probe).color.match(/[\d.]+/g)
  if (!m || m.length < 3) return undefined
  const a = (m.length > 3 ? Number(m[3]) : 1) * alpha
  return `rgba(${m[0]}, ${m[1]}, ${m[2]}, ${a})`
}

// The Streamlit theme's look for Plotly (what st.plotly_chart's theme="streamlit" sets), from the --st-*
// colours Streamlit gives its components: a layout template, so the figure's own settings win.
function themeLayout(div) {
  const style = getComputedStyle(div)
  const v = (name) => style.getPropertyValue(name).trim()
  const probe = document.createElement("span")
  div.appendChild(probe)
  const text = v("--st-text-color") || "#31333f"
  const bg = cssColor(probe, v("--st-background-color") || "#ffffff")
  const muted = cssColor(probe, text, 0.75)
  const grid = cssColor(probe, text, 0.15)
  const border = cssColor(probe, v("--st-border-color") || text, 1)
  const legend = cssColor(probe, text, 0.9)
  probe.remove()
  const font = v("--st-font") || "sans-serif"
  const axis = (standoff) => ({
    gridcolor: grid, zerolinecolor: grid, tickcolor: grid, minor: { gridcolor: grid }, automargin: true,
    tickfont: { color: muted, size: 12 }, title: { font: { color: muted, size: 14 }, standoff },
  })
  return {
    font: { color: muted, family: font, size: 12 },
    paper_bgcolor: bg, plot_bgcolor: bg, margin: { pad: 8 },
    xaxis: { ...axis(20), showgrid: false, zeroline: false },
    yaxis: { ...axis(24), ticklabelposition: "outside" },
    legend: { font: { color: legend }, bordercolor: "rgba(0,0,0,0)", borderwidth: 0 },
    hoverlabel: { bgcolor: bg, bordercolor: border, font: { color: text, family: font, size: 12 } },
  }
}

const charts = new WeakMap() // parentElement -> chart

function mount(parent) {
  const box = document.createElement("div") // as st.plotly_chart's element holds its Plotly <div>
  box.className = "rnn-live-chart"
  box.setAttribute("data-testid", "rnnLiveChart")
  const div = document.createElement("div")
  div.style.width = "100%"
  const note = document.createElement("div") // says why, when the chart cannot be drawn
  box.append(div, note)
  parent.appendChild(box)
  const chart = { div, note, latest: null, drawn: null, theme: "", queue: Promise.resolve() }
  // Plotly sizes itself to the div once; follow the column's width from then on.
  chart.resize = new ResizeObserver(() => {
    if (chart.drawn && window.Plotly) window.Plotly.Plots.resize(div)
  })
  chart.resize.observe(div)
  chart.cleanup = () => {
    chart.resize.disconnect()
    if (window.Plotly) window.Plotly.purge(div)
    box.remove()
    charts.delete(parent)
  }
  charts.set(parent, chart)
  return chart
}

async function draw(chart) {
  const data = chart.latest
  const { div } = chart
  const template = themeLayout(div)
  const theme = JSON.stringify(template)
  if (data === chart.drawn && theme === chart.theme) return // drawn already (a later call caught up)
  const { layout } = data.figure
  div.style.height = `${layout.height}px` // while plotly.js loads too: nothing below the chart jumps
  const Plotly = await loadPlotly(data.plotly)
  await Plotly.react(div, data.figure.data, { ...layout, template: { layout: template }, autosize: true },
    { showSendToCloud: false, modeBarButtonsToRemove: ["lasso2d", "select2d", "sendChartToCloud"], ...data.config })
  chart.drawn = data
  chart.theme = theme
  chart.note.textContent = ""
}

function showError(chart, error) {
  chart.note.textContent = `This chart could not be drawn: ${error.message}`
}

export function render({ data, parentElement }) {
  const chart = charts.get(parentElement) || mount(parentElement)
  chart.latest = data
  // one draw at a time, in order; a draw that finds a newer figure waiting draws that one
  chart.queue = chart.queue.then(() => draw(chart)).catch((error) => showError(chart, error))
  return chart.cleanup
}
