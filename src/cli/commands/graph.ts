/** `processtracker graph [--format text|dot|mermaid]`: the dependency graph with each process's state. */
import { Option, type Command } from 'commander'
import type { DependencyGraph } from '../../index.ts'
import type { Act } from '../action.ts'
import { requireDatabase } from '../local-only.ts'
import { withReadStore } from '../context.ts'
import type { Output } from '../output.ts'
import { stateColor } from './processes.ts'

type GraphFormat = 'text' | 'dot' | 'mermaid'

/** The node a state gets in dot and mermaid: green done, red failed, amber held, blue running. */
const STATE_COLORS: Record<string, string> = {
  completed: '#2e7d32',
  failed: '#c62828',
  'on-hold': '#ef6c00',
  released: '#ef6c00',
  running: '#1565c0',
  'never-run': '#757575',
}

/** A name on one line (names may not hold control characters since 0.2; older rows might). */
const oneLine = (name: string) => name.replace(/[\u0000-\u001f\u007f]+/g, ' ')

/** Graphviz: `dot -Tsvg` draws it. Soft dependencies are dashed. */
export function toDot(graph: DependencyGraph): string {
  const escape = (text: string) => oneLine(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"')
  const quote = (text: string) => `"${escape(text)}"`
  const lines = ['digraph processtracker {', '  rankdir=LR;', '  node [shape=box, style=rounded];']
  for (const node of graph.nodes) {
    lines.push(
      `  ${quote(node.processName)} [label="${escape(node.processName)}\\n${node.state}", color="${STATE_COLORS[node.state] ?? '#000000'}"];`,
    )
  }
  for (const edge of graph.edges) {
    lines.push(`  ${quote(edge.parent)} -> ${quote(edge.child)}${edge.type === 'Hard' ? '' : ' [style=dashed]'};`)
  }
  lines.push('}')
  return lines.join('\n')
}

/** Mermaid (GitHub renders it in a ```mermaid block). Soft dependencies are dotted. */
export function toMermaid(graph: DependencyGraph): string {
  const ids = new Map(graph.nodes.map((node, index) => [node.processName, `p${index + 1}`]))
  const label = (text: string) => oneLine(text).replace(/"/g, '#quot;')
  const lines = ['flowchart LR']
  for (const node of graph.nodes)
    lines.push(`  ${ids.get(node.processName) ?? ''}["${label(node.processName)}<br/>${node.state}"]:::${node.state.replace('-', '')}`)
  for (const edge of graph.edges)
    lines.push(`  ${ids.get(edge.parent) ?? ''} ${edge.type === 'Hard' ? '-->' : '-.->'} ${ids.get(edge.child) ?? ''}`)
  for (const [state, color] of Object.entries(STATE_COLORS))
    lines.push(`  classDef ${state.replace('-', '')} stroke:${color},stroke-width:2px`)
  return lines.join('\n')
}

/** An indented tree from each process without parents; a process with two parents appears under both. */
function printText(output: Output, graph: DependencyGraph): void {
  const state = new Map(graph.nodes.map((node) => [node.processName, node.state]))
  const children = new Map<string, { child: string; type: string }[]>()
  for (const edge of graph.edges) children.set(edge.parent, [...(children.get(edge.parent) ?? []), { child: edge.child, type: edge.type }])
  const hasParent = new Set(graph.edges.map((edge) => edge.child))
  const paint = (name: string) => {
    const current = state.get(name) ?? 'never-run'
    return `${oneLine(name)} ${(stateColor(current, output.out) ?? ((text: string) => text))(`[${current}]`)}`
  }
  const walk = (name: string, prefix: string, path: Set<string>) => {
    const list = children.get(name) ?? []
    list.forEach(({ child, type }, index) => {
      const last = index === list.length - 1
      output.result(`${prefix}${last ? '└─ ' : '├─ '}${paint(child)}${type === 'Hard' ? '' : ` (${type})`}`)
      // Cycles are refused by the library; the guard only keeps a damaged store from looping forever.
      if (!path.has(child)) walk(child, `${prefix}${last ? '   ' : '│  '}`, new Set([...path, child]))
    })
  }
  for (const node of graph.nodes) {
    if (hasParent.has(node.processName)) continue
    output.result(paint(node.processName))
    walk(node.processName, '', new Set([node.processName]))
  }
}

/** Adds `graph` to the program. */
export function addGraphCommand(program: Command, act: Act): void {
  program
    .command('graph')
    .summary("the dependency graph with each process's state (text, dot, mermaid)")
    .description(
      "Print the process dependency graph with each process's state: as an indented tree (text), as Graphviz " +
        '(dot) or as Mermaid. Soft dependencies, which never gate, are marked (Soft) / dashed.',
    )
    .addOption(new Option('--format <format>', 'text, dot or mermaid').choices(['text', 'dot', 'mermaid']).default('text'))
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker graph
  $ processtracker graph --format dot | dot -Tsvg > pipeline.svg
  $ processtracker graph --format mermaid >> README.md`,
    )
    .action(
      act(async (context, command) => {
        requireDatabase(context, 'graph')
        const { format } = command.opts<{ format: GraphFormat }>()
        const graph = await withReadStore(context, (store) => store.getDependencyGraph())
        const { output } = context
        if (output.mode.json) output.json(graph)
        else if (format === 'dot') output.result(toDot(graph))
        else if (format === 'mermaid') output.result(toMermaid(graph))
        else if (graph.nodes.length === 0) output.info('No processes yet.')
        else printText(output, graph)
        return 0
      }),
    )
}
