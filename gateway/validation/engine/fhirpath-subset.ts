/**
 * A native evaluator for a small subset of FHIRPath, the shape most pack rules take: paths, where(),
 * exists(), all(), empty(), count(), not(), hasValue(), $this, unions of primitive values, = and !=
 * against string, integer and boolean literals, <, <=, >, >= between two strings or two integers,
 * matches() with a literal pattern, toString() of strings and dates, today(), and, or, implies.
 * fhirpath.js spends tens of µs on
 * each evaluation of such a rule, mostly building its own nodes; on a claim of 100 items, whose items
 * each run the pack's per-item rules, that was most of the validation.
 *
 * It is conservative. The expression is typed with fhirpath.js's R4 model from the element the rule is
 * set on; one outside the subset is not compiled (undefined), and fhirpath.js judges it: other
 * functions and operators, %resource and other variables, type names, choice elements (value[x]),
 * members of primitives, names the model does not know, and = between anything but two strings, two
 * integers or two booleans (dates, decimals and quantities have their own equality). An evaluation
 * that meets what the model would read differently is abandoned at run time (the evaluator returns
 * undefined) and fhirpath.js judges that instance: a primitive with an extension or id ("_name"), a
 * null in an array, or a collection of more than one item where FHIRPath wants a singleton.
 * test/fhirpath-subset.test.ts runs both on every R4 and pack invariant the subset compiles, over the
 * test fixtures and thousands of mutations of them, and fails on any disagreement.
 */

type Json = Record<string, unknown>;
type Value = unknown;
type Collection = readonly Value[];

/** Thrown inside an evaluation that the subset cannot judge; the caller then asks fhirpath.js. */
class Unjudged extends Error {}
const UNJUDGED = new Unjudged('outside the FHIRPath subset');

/** Evaluates on an input collection, with $this bound. */
type Node = (input: Collection, self: Collection) => Collection;

/** The compiled rule: the result collection, or undefined when fhirpath.js must judge this instance. */
export type SubsetEvaluator = (instance: unknown) => Collection | undefined;

// ---- tokens ---------------------------------------------------------------------------------------

type Token =
  | { kind: 'identifier'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'integer'; value: number }
  | { kind: 'symbol'; text: string }
  | { kind: 'end' };

const SYMBOLS = ['!=', '<=', '>=', '<', '>', '.', '(', ')', '=', '|', ','];

function tokenize(source: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const identifier = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (identifier) {
      if (identifier[0].startsWith('$') && identifier[0] !== '$this') return undefined;
      tokens.push({ kind: 'identifier', text: identifier[0] });
      i += identifier[0].length;
      continue;
    }
    const integer = /^[0-9]+(?![0-9.])/.exec(source.slice(i));
    if (integer) {
      tokens.push({ kind: 'integer', value: Number(integer[0]) });
      i += integer[0].length;
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (; j < source.length && source[j] !== "'"; j++) {
        if (source[j] === '\\') {
          const escaped = source[j + 1];
          if (escaped !== "'" && escaped !== '\\') return undefined;
          value += escaped;
          j++;
        } else {
          value += source[j];
        }
      }
      if (j >= source.length) return undefined;
      tokens.push({ kind: 'string', value });
      i = j + 1;
      continue;
    }
    const symbol = SYMBOLS.find((s) => source.startsWith(s, i));
    if (!symbol) return undefined;
    tokens.push({ kind: 'symbol', text: symbol });
    i += symbol.length;
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

// ---- parser: expression := implies; implies := or ('implies' or)?; or := and ('or' and)*;
//      and := equality ('and' equality)*; equality := inequality (('=' | '!=') inequality)?;
//      inequality := union (('<' | '<=' | '>' | '>=') union)?; union := path ('|' path)*; path := term ('.' invocation)*;
//      term := literal | '$this' | 'today()' | '(' expression ')' | invocation; invocation := name | function '(' [expression] ')'
// Each part is typed with the R4 model, from the element the rule is set on: a member is looked up on
// its owner's type (or the backbone element's path), so a choice element (value[x]) or an unknown name
// is outside the subset, and = only compares values of one kind (strings, integers, booleans).

class Unsupported extends Error {}

/** The model's knowledge used here (fhirpath.js's R4 model). */
export interface SubsetModel {
  readonly path2Type: Readonly<Record<string, string>>;
  readonly choiceTypePaths: Readonly<Record<string, unknown>>;
  readonly pathsDefinedElsewhere: Readonly<Record<string, string>>;
  readonly type2Parent: Readonly<Record<string, string>>;
}

const STRINGS = new Set(['string', 'uri', 'code', 'id', 'markdown', 'canonical', 'url', 'oid', 'uuid', 'System.String']);
const INTEGERS = new Set(['integer', 'positiveInt', 'unsignedInt', 'System.Integer']);
const BOOLEANS = new Set(['boolean', 'System.Boolean']);
/** Types whose JSON value is a string that toString() gives back as it is (fhirpath.js keeps a date's text). */
const TEXTUAL = new Set([...STRINGS, 'date', 'dateTime', 'instant', 'time', 'System.Date', 'System.DateTime', 'System.Time']);
/** FHIR primitive types: their members (value, id, extension) need the model's primitive handling. */
const PRIMITIVES = new Set([...STRINGS, ...INTEGERS, ...BOOLEANS, 'decimal', 'date', 'dateTime', 'instant', 'time', 'base64Binary', 'xhtml', 'System.Decimal', 'System.Date', 'System.DateTime', 'System.Time']);

/** The kind = can compare: 'string', 'integer', 'boolean', or undefined (outside the subset). */
function kindOf(type: string): 'string' | 'integer' | 'boolean' | undefined {
  if (STRINGS.has(type)) return 'string';
  if (INTEGERS.has(type)) return 'integer';
  if (BOOLEANS.has(type)) return 'boolean';
  return undefined;
}

interface Typed {
  readonly node: Node;
  /** A model type name, a backbone element's path (Claim.item), or System.String/Integer/Boolean. */
  readonly type: string;
}

/** The type of a member of a type or backbone element, as the model knows it; a choice or unknown member is outside the subset. */
function memberType(model: SubsetModel, owner: string, name: string): string {
  for (let at: string | undefined = owner; at; at = at.includes('.') ? 'BackboneElement' : model.type2Parent[at]) {
    const declared: string = `${at}.${name}`;
    const path = model.pathsDefinedElsewhere[declared] ?? declared;
    if (model.choiceTypePaths[path] !== undefined) throw new Unsupported();
    const type = model.path2Type[path];
    if (type) return type === 'BackboneElement' || type === 'Element' ? path : type;
  }
  throw new Unsupported();
}

/** The type of the element a rule is set on: a resource or data type name, or a path below one. */
function baseType(model: SubsetModel, basePath: string): string {
  const [root, ...names] = basePath.split('.');
  let type = root!;
  for (const name of names) type = memberType(model, type, name);
  return type;
}

function parse(tokens: Token[], model: SubsetModel, base: string): Node {
  let at = 0;
  const peek = () => tokens[at]!;
  const isSymbol = (text: string) => peek().kind === 'symbol' && (peek() as { text: string }).text === text;
  const isWord = (text: string) => peek().kind === 'identifier' && (peek() as { text: string }).text === text;
  const expect = (text: string) => {
    if (!isSymbol(text)) throw new Unsupported();
    at++;
  };
  const boolean = (part: Typed) => {
    if (kindOf(part.type) !== 'boolean') throw new Unsupported();
    return part.node;
  };

  const expression = (self: string): Typed => implies(self);
  const implies = (self: string): Typed => {
    const left = or(self);
    if (!isWord('implies')) return left;
    at++;
    return { node: logical('implies', boolean(left), boolean(or(self))), type: 'boolean' };
  };
  const equality = (self: string): Typed => {
    const left = inequality(self);
    if (!isSymbol('=') && !isSymbol('!=')) return left;
    const negated = isSymbol('!=');
    at++;
    const right = inequality(self);
    const kind = kindOf(left.type);
    if (!kind || kind !== kindOf(right.type)) throw new Unsupported();
    return {
      node: (input, me) => {
        const result = equals(left.node(input, me), right.node(input, me));
        return result === undefined ? [] : [negated ? !result : result];
      },
      type: 'boolean',
    };
  };
  const inequality = (self: string): Typed => {
    const left = union(self);
    const op = ['<', '<=', '>', '>='].find(isSymbol);
    if (!op) return left;
    at++;
    const right = union(self);
    const kind = kindOf(left.type);
    // Strings and integers order as JavaScript orders them, as in fhirpath.js; dates and decimals do not.
    if ((kind !== 'string' && kind !== 'integer') || kind !== kindOf(right.type)) throw new Unsupported();
    return {
      node: (input, me) => {
        const result = order(left.node(input, me), right.node(input, me));
        if (result === undefined) return [];
        return [op === '<' ? result < 0 : op === '<=' ? result <= 0 : op === '>' ? result > 0 : result >= 0];
      },
      type: 'boolean',
    };
  };
  const union = (self: string): Typed => {
    const parts = [path(self)];
    while (isSymbol('|')) {
      at++;
      parts.push(path(self));
    }
    if (parts.length === 1) return parts[0]!;
    const kind = kindOf(parts[0]!.type);
    if (!kind || parts.some((p) => kindOf(p.type) !== kind)) throw new Unsupported();
    const nodes = parts.map((p) => p.node);
    return {
      node: (input, me) => {
        const seen = new Set<unknown>();
        const out: Value[] = [];
        for (const node of nodes) {
          for (const value of node(input, me)) {
            const key = primitive(value);
            if (!seen.has(key)) {
              seen.add(key);
              out.push(value);
            }
          }
        }
        return out;
      },
      type: kind,
    };
  };
  const path = (self: string): Typed => {
    let current = term(self);
    while (isSymbol('.')) {
      at++;
      const next = invocation(current.type);
      const previous = current.node;
      current = { node: (input, me) => next.node(previous(input, me), me), type: next.type };
    }
    return current;
  };
  const term = (self: string): Typed => {
    const token = peek();
    if (token.kind === 'string' || token.kind === 'integer') {
      at++;
      const literal = [token.value];
      return { node: () => literal, type: token.kind };
    }
    if (token.kind === 'identifier' && (token.text === 'true' || token.text === 'false')) {
      at++;
      const literal = [token.text === 'true'];
      return { node: () => literal, type: 'boolean' };
    }
    if (token.kind === 'identifier' && token.text === '$this') {
      at++;
      return { node: (_input, me) => me, type: self };
    }
    if (token.kind === 'identifier' && token.text === 'today') {
      at++;
      expect('(');
      expect(')');
      return { node: () => [today()], type: 'System.Date' };
    }
    if (isSymbol('(')) {
      at++;
      const inner = expression(self);
      expect(')');
      return inner;
    }
    // A name or function at the start of a path applies to the input ($this).
    return invocation(self);
  };
  const invocation = (owner: string): Typed => {
    const token = peek();
    if (token.kind !== 'identifier' || token.text.startsWith('$') || ['and', 'or', 'implies', 'true', 'false'].includes(token.text)) throw new Unsupported();
    at++;
    if (!isSymbol('(')) {
      // A type name (Claim.item...) needs the model's type tests; a primitive's members its primitive handling.
      if (/^[A-Z]/.test(token.text) || PRIMITIVES.has(owner)) throw new Unsupported();
      return { node: member(token.text), type: memberType(model, owner, token.text) };
    }
    at++;
    if (token.text === 'matches') {
      // A literal pattern only: it is compiled once, here.
      const pattern = peek();
      if (pattern.kind !== 'string') throw new Unsupported();
      at++;
      expect(')');
      return matches(pattern.value, owner);
    }
    const argument = isSymbol(')') ? undefined : expression(owner);
    expect(')');
    return call(token.text, owner, argument);
  };

  /** Left-associative and / or. */
  const chain = (word: 'and' | 'or', next: (self: string) => Typed) => (self: string): Typed => {
    let left = next(self);
    while (isWord(word)) {
      at++;
      left = { node: logical(word, boolean(left), boolean(next(self))), type: 'boolean' };
    }
    return left;
  };
  const and = chain('and', equality);
  const or = chain('or', and);

  const node = expression(base);
  if (peek().kind !== 'end') throw new Unsupported();
  return node.node;
}

// ---- semantics ------------------------------------------------------------------------------------

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The children named so, FHIR JSON style; abandoned where the model would be needed. */
function member(name: string): Node {
  const extension = `_${name}`;
  return (input) => {
    const out: Value[] = [];
    for (const item of input) {
      if (!isObject(item)) throw UNJUDGED;
      if (item[extension] !== undefined) throw UNJUDGED; // a primitive with an extension or id
      const value = item[name];
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        for (const v of value) {
          if (v === null || Array.isArray(v)) throw UNJUDGED;
          out.push(v);
        }
      } else if (value === null) {
        throw UNJUDGED;
      } else {
        out.push(value);
      }
    }
    return out;
  };
}

/** A singleton boolean, empty, or abandoned (FHIRPath would convert or fail). */
function truth(collection: Collection): boolean | undefined {
  if (collection.length === 0) return undefined;
  if (collection.length === 1 && typeof collection[0] === 'boolean') return collection[0];
  throw UNJUDGED;
}

function logical(op: 'and' | 'or' | 'implies', left: Node, right: Node): Node {
  return (input, self) => {
    const a = truth(left(input, self));
    const b = truth(right(input, self));
    let result: boolean | undefined;
    if (op === 'and') result = a === false || b === false ? false : a === true && b === true ? true : undefined;
    else if (op === 'or') result = a === true || b === true ? true : a === false && b === false ? false : undefined;
    else result = a === false || b === true ? true : a === true && b === false ? false : undefined;
    return result === undefined ? [] : [result];
  };
}

/** A value = can compare here: a string, a boolean or an integer; anything else is abandoned. */
function primitive(value: Value): string | number | boolean {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw UNJUDGED; // objects, decimals
}

/** The two values a comparison takes: two singletons of one kind (the model typed both sides), or undefined when either side is empty. */
function operands(left: Collection, right: Collection): [string | number | boolean, string | number | boolean] | undefined {
  if (left.length === 0 || right.length === 0) return undefined;
  if (left.length !== 1 || right.length !== 1) throw UNJUDGED;
  const a = primitive(left[0]);
  const b = primitive(right[0]);
  if (typeof a !== typeof b) throw UNJUDGED;
  return [a, b];
}

/** FHIRPath =: true, false, or undefined (empty). */
function equals(left: Collection, right: Collection): boolean | undefined {
  const pair = operands(left, right);
  return pair && pair[0] === pair[1];
}

/** FHIRPath's order of two strings or two integers: <0, 0, >0, or undefined (empty). */
function order(left: Collection, right: Collection): number | undefined {
  const pair = operands(left, right);
  if (!pair) return undefined;
  const [a, b] = pair;
  if (typeof a === 'boolean') throw UNJUDGED;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A function of one string (matches, toString): empty on empty, abandoned on anything but a single string. */
function onString(f: (text: string) => Value): Node {
  return (input) => {
    if (input.length === 0) return [];
    if (input.length > 1 || typeof input[0] !== 'string') throw UNJUDGED;
    return [f(input[0])];
  };
}

/** today(): the date where the process runs, as fhirpath.js writes it (FP_Date.isoDate: local year, month, day). */
function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

/** matches('pattern'), as fhirpath.js runs it: a search (not anchored) in single-line, unicode mode. */
function matches(pattern: string, owner: string): Typed {
  if (kindOf(owner) !== 'string' || pattern === '') throw new Unsupported();
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'us');
  } catch {
    throw new Unsupported(); // fhirpath.js reports the pattern's error: let it
  }
  return { node: onString((text) => regex.test(text)), type: 'boolean' };
}

function call(name: string, owner: string, argument: Typed | undefined): Typed {
  const criteria = argument && kindOf(argument.type) === 'boolean' ? argument.node : undefined;
  const test = (item: Value) => truth(criteria!([item], [item])) === true;
  const none = () => {
    if (argument) throw new Unsupported();
  };
  switch (name) {
    case 'exists':
      if (argument && !criteria) throw new Unsupported();
      return { node: criteria ? (input) => [input.some(test)] : (input) => [input.length > 0], type: 'boolean' };
    case 'empty':
      none();
      return { node: (input) => [input.length === 0], type: 'boolean' };
    case 'count':
      none();
      return { node: (input) => [input.length], type: 'integer' };
    case 'not':
      none();
      if (kindOf(owner) !== 'boolean') throw new Unsupported();
      return {
        node: (input) => {
          const value = truth(input);
          return value === undefined ? [] : [!value];
        },
        type: 'boolean',
      };
    case 'hasValue':
      none();
      // A primitive has a value unless it only has an extension, which was abandoned on the way here.
      if (!PRIMITIVES.has(owner)) throw new Unsupported();
      return {
        node: (input) => {
          if (input.length > 1) throw UNJUDGED;
          return [input.length === 1];
        },
        type: 'boolean',
      };
    case 'toString':
      none();
      // Strings, and dates and times whose text fhirpath.js keeps as it was written.
      if (!TEXTUAL.has(owner)) throw new Unsupported();
      return { node: onString((text) => text), type: 'System.String' };
    case 'where':
      if (!criteria) throw new Unsupported();
      return { node: (input) => input.filter(test), type: owner };
    case 'all':
      if (!criteria) throw new Unsupported();
      return { node: (input) => [input.every(test)], type: 'boolean' };
    default:
      throw new Unsupported();
  }
}

/**
 * The evaluator of an invariant set on the element at basePath ("Claim.item", "Coding"), or undefined
 * when fhirpath.js must judge it.
 */
export function compileSubset(expression: string, basePath: string, model: SubsetModel): SubsetEvaluator | undefined {
  const tokens = tokenize(expression);
  if (!tokens) return undefined;
  let node: Node;
  try {
    node = parse(tokens, model, baseType(model, basePath));
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  return (instance) => {
    const input = instance === undefined ? [] : [instance];
    try {
      return node(input, input);
    } catch (err) {
      if (err === UNJUDGED) return undefined;
      throw err;
    }
  };
}
