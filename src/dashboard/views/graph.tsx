/**
 * The dependency graph: processes as boxes coloured (and labelled) by state, dependencies as arrows —
 * Hard solid, Soft dashed — laid out left to right by dagre so parents stand before children. Boxes
 * are links (Tab to reach, Enter to open); zoom buttons and a find box keep 200 processes usable.
 */
import { Graph, layout } from '@dagrejs/dagre'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { get } from '../api.ts'
import { STATE_ICONS, STATE_LABELS, STATE_ORDER } from '../format.ts'
import { useLiveRefresh } from '../live.ts'
import { processHref } from '../router.ts'
import type { DependencyGraph, ProcessState } from '../types.ts'
import { ErrorNotice, Loading, useResource, useTitle } from '../ui.tsx'

const NODE_HEIGHT = 46
const MAX_LABEL = 32

interface PlacedNode {
  name: string
  label: string
  state: ProcessState
  x: number
  y: number
  width: number
}

interface PlacedEdge {
  key: string
  parent: string
  child: string
  soft: boolean
  path: string
}

interface Placed {
  nodes: PlacedNode[]
  edges: PlacedEdge[]
  width: number
  height: number
}

/** What the layout depends on: the processes and the dependencies, not their states. */
function structureKey(graph: DependencyGraph): string {
  return JSON.stringify([graph.nodes.map((node) => node.processName), graph.edges.map((edge) => [edge.parent, edge.child, edge.type])])
}

/** dagre's layered layout, left to right. */
function place(graph: DependencyGraph): Placed {
  const g = new Graph({ multigraph: false })
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 70, marginx: 12, marginy: 12 })
  g.setDefaultEdgeLabel(() => ({}))
  const labels = new Map<string, string>()
  for (const node of graph.nodes) {
    const label = node.processName.length > MAX_LABEL ? `${node.processName.slice(0, MAX_LABEL - 1)}…` : node.processName
    labels.set(node.processName, label)
    g.setNode(node.processName, { width: Math.max(110, label.length * 7.4 + 24), height: NODE_HEIGHT })
  }
  for (const edge of graph.edges) {
    if (g.hasNode(edge.parent) && g.hasNode(edge.child)) g.setEdge(edge.parent, edge.child)
  }
  layout(g)
  const nodes = graph.nodes.map((node): PlacedNode => {
    const placed = g.node(node.processName) as { x: number; y: number; width: number }
    return {
      name: node.processName,
      label: labels.get(node.processName) ?? node.processName,
      state: node.state,
      x: placed.x,
      y: placed.y,
      width: placed.width,
    }
  })
  const edges = graph.edges
    .filter((edge) => g.hasEdge(edge.parent, edge.child))
    .map((edge): PlacedEdge => {
      const points = (g.edge(edge.parent, edge.child) as { points?: { x: number; y: number }[] }).points ?? []
      const path = points.map((point, index) => `${index === 0 ? 'M' : 'L'}${point.x.toFixed(1)},${point.y.toFixed(1)}`).join(' ')
      return {
        key: `${edge.parent}\u0000${edge.child}`,
        parent: edge.parent,
        child: edge.child,
        soft: edge.type.toLowerCase() === 'soft',
        path,
      }
    })
  const size = g.graph() as { width?: number; height?: number }
  return { nodes, edges, width: Math.max(size.width ?? 0, 200), height: Math.max(size.height ?? 0, 80) }
}

export function GraphView() {
  useTitle('Dependency graph')
  const resource = useResource(() => get<DependencyGraph>('/api/v1/graph'), [])
  useLiveRefresh(resource.reload)
  // Laying out a few hundred processes takes dagre a noticeable moment, so it runs after the page
  // has painted ("Laying out…"), and only when the processes or dependencies change: a live update
  // that only changes states reuses the positions.
  const [layout, setLayout] = useState<{ key: string; placed: Placed } | null>(null)
  const data = resource.data
  const key = useMemo(() => (data ? structureKey(data) : ''), [data])
  useEffect(() => {
    if (!data || layout?.key === key) return
    const timer = window.setTimeout(() => {
      setLayout({ key, placed: place(data) })
    }, 0)
    return () => {
      clearTimeout(timer)
    }
  }, [data, key, layout?.key])
  const states = useMemo(() => new Map((data?.nodes ?? []).map((node) => [node.processName, node.state])), [data])
  const placed = layout?.placed ?? null
  const [zoom, setZoom] = useState(1)
  const [find, setFind] = useState('')
  const [notFound, setNotFound] = useState(false)
  const svg = useRef<SVGSVGElement>(null)

  const focusMatch = () => {
    const needle = find.trim().toLowerCase()
    const match = placed?.nodes.find((node) => node.name.toLowerCase().includes(needle))
    setNotFound(!match)
    if (!match) return
    const anchor = svg.current?.querySelector<SVGAElement>(`a[data-process="${CSS.escape(match.name)}"]`)
    anchor?.focus()
    anchor?.scrollIntoView({ block: 'center', inline: 'center' })
  }

  return (
    <>
      <h1>Dependency graph</h1>
      <div class="toolbar">
        <form
          class="inline"
          onSubmit={(event) => {
            event.preventDefault()
            focusMatch()
          }}
        >
          <label for="graph-find">Find a process</label>
          <input
            id="graph-find"
            type="search"
            value={find}
            onInput={(event) => {
              setFind(event.currentTarget.value)
            }}
          />
          <button type="submit">Find</button>
        </form>
        {notFound ? (
          <span role="status" class="muted">
            No process matches.
          </span>
        ) : null}
        <div class="chips" role="group" aria-label="Zoom">
          <button
            type="button"
            aria-label="Zoom out"
            onClick={() => {
              setZoom((value) => Math.max(0.25, value / 1.25))
            }}
          >
            −
          </button>
          <span>{Math.round(zoom * 100)}%</span>
          <button
            type="button"
            aria-label="Zoom in"
            onClick={() => {
              setZoom((value) => Math.min(3, value * 1.25))
            }}
          >
            +
          </button>
          <button
            type="button"
            onClick={() => {
              setZoom(1)
            }}
          >
            100%
          </button>
        </div>
      </div>
      <ul class="legend" aria-label="Legend">
        {STATE_ORDER.map((state) => (
          <li key={state} class={`badge tone-${state}`}>
            <span aria-hidden="true">{STATE_ICONS[state]} </span>
            {STATE_LABELS[state]}
          </li>
        ))}
        <li>
          <svg width="40" height="10" aria-hidden="true">
            <line x1="0" y1="5" x2="40" y2="5" class="edge" />
          </svg>{' '}
          Hard dependency
        </li>
        <li>
          <svg width="40" height="10" aria-hidden="true">
            <line x1="0" y1="5" x2="40" y2="5" class="edge soft" />
          </svg>{' '}
          Soft dependency
        </li>
      </ul>
      {resource.error ? <ErrorNotice error={resource.error} /> : null}
      {!placed ? (
        <Loading what={data ? `the layout of ${data.nodes.length} processes` : 'the graph'} />
      ) : placed.nodes.length === 0 ? (
        <p class="muted">No processes yet.</p>
      ) : (
        <div class="graph-wrap" tabIndex={-1}>
          <svg
            ref={svg}
            class="graph"
            width={placed.width * zoom}
            height={placed.height * zoom}
            viewBox={`0 0 ${placed.width} ${placed.height}`}
            role="group"
            aria-label={`${placed.nodes.length} processes and ${placed.edges.length} dependencies, parents left of their children`}
          >
            <defs>
              <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
              </marker>
            </defs>
            {placed.edges.map((edge) => (
              <path key={edge.key} d={edge.path} class={edge.soft ? 'edge soft' : 'edge'} marker-end="url(#arrow)">
                <title>
                  {edge.parent} → {edge.child} ({edge.soft ? 'Soft' : 'Hard'})
                </title>
              </path>
            ))}
            {placed.nodes
              .map((placedNode) => ({ ...placedNode, state: states.get(placedNode.name) ?? placedNode.state }))
              .map((node) => (
                <a
                  key={node.name}
                  href={processHref(node.name)}
                  data-process={node.name}
                  aria-label={`${node.name}: ${STATE_LABELS[node.state]}`}
                  class="node"
                >
                  <title>
                    {node.name}: {STATE_LABELS[node.state]}
                  </title>
                  <rect
                    class={`box tone-${node.state}`}
                    x={node.x - node.width / 2}
                    y={node.y - NODE_HEIGHT / 2}
                    width={node.width}
                    height={NODE_HEIGHT}
                    rx="6"
                  />
                  <text x={node.x} y={node.y - 4} text-anchor="middle" class="name">
                    {node.label}
                  </text>
                  <text x={node.x} y={node.y + 13} text-anchor="middle" class="state">
                    {STATE_ICONS[node.state]} {STATE_LABELS[node.state]}
                  </text>
                </a>
              ))}
          </svg>
        </div>
      )}
    </>
  )
}
