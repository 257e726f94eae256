// Checks a running cashierd against docs/openapi.json (scripts/openapi.sh check starts one).
// Every operation not marked `x-cashierd-status: planned` is requested for real, in document
// order (paths as listed, writes before reads within a path), with the examples of the document
// as parameters and bodies (a media type's `example`, else the first of its `examples`). The
// examples are meant to succeed: the answer must be below 400, and a 3xx only when that exact
// status is documented (redirects are not followed). Its status must be documented, its
// documented headers present and valid, its Content-Type documented, and a JSON body valid
// against the documented schema (ajv, JSON Schema 2020-12). Operations behind a credential are
// also requested without one, and must answer a documented 401. Then answers any route can
// give: an unknown path (404), a method the path does not serve (405).
//
// Vendor extensions let an example use what an earlier one created, and sign what it sends:
//   x-cashierd-save: {NAME: /json/pointer, ...}          (on an operation)
//       After its example succeeded, the values at these pointers of the JSON answer are saved
//       under NAME (e.g. the id of the transaction a deposit created).
//   x-cashierd-from: NAME                                (on a parameter)
//       The value saved under NAME replaces the parameter's example.
//   x-cashierd-from: {/json/pointer: NAME, ...}          (on a request body's media type)
//       The values saved replace those at the pointers of the example sent (which must have
//       them). A NAME not saved yet (its operation failed, or comes later in the document) fails
//       the operation that needs it.
//   x-cashierd-expect: STATUS                            (on an operation)
//       The example is expected to be refused with this documented status instead of
//       succeeding: for an operation whose success needs a secret the checker cannot have
//       (a 2FA code). The answer is still checked against the document.
//   x-cashierd-signature: {header: HEADER, secret: NAME} (on an operation)
//       The body is signed at request time as a provider signs a webhook:
//       HEADER: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>, with the secret
//       given as --webhook-secret NAME=SECRET. The operation is also requested unsigned and
//       with a wrong signature, and each must answer a documented 401.
//
// usage: node check_responses.mjs [--spec FILE] [--manager-token TOKEN] [--customer-token JWT]
//        [--webhook-secret NAME=SECRET ...] BASE_URL
// Exit status 0 when every check passed; the last line is "N passed, N failed".
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// Writes first, so that the reads of the same path see what the examples stored.
const methods = ['put', 'post', 'patch', 'delete', 'get', 'head', 'options'];
const requestTimeoutMs = 10000;

function parseArgs(argv) {
    const options = {
        spec: fileURLToPath(new URL('../../docs/openapi.json', import.meta.url)),
        managerToken: '',
        customerToken: '',
        webhookSecrets: new Map(),
        base: '',
    };
    const valued = { '--spec': 'spec', '--manager-token': 'managerToken', '--customer-token': 'customerToken' };
    for (let i = 0; i < argv.length; ++i) {
        const arg = argv[i];
        if (arg in valued) {
            if (i + 1 >= argv.length) usage(`${arg} needs a value`);
            options[valued[arg]] = argv[++i];
        } else if (arg === '--webhook-secret') {
            const match = i + 1 < argv.length ? /^([^=]+)=(.+)$/s.exec(argv[++i]) : null;
            if (!match) usage('--webhook-secret needs NAME=SECRET');
            options.webhookSecrets.set(match[1], match[2]);
        } else if (arg.startsWith('-') || options.base) {
            usage(`unexpected argument ${arg}`);
        } else {
            options.base = arg.replace(/\/+$/, '');
        }
    }
    if (!options.base) usage('BASE_URL is required');
    return options;
}

function usage(problem) {
    console.error(`check_responses: ${problem}`);
    console.error('usage: node check_responses.mjs [--spec FILE] [--manager-token TOKEN] [--customer-token JWT] [--webhook-secret NAME=SECRET ...] BASE_URL');
    process.exit(2);
}

const options = parseArgs(process.argv.slice(2));
const specText = readFileSync(options.spec, 'utf8');
const spec = JSON.parse(specText);

// Resolves a local reference ("#/components/responses/NotFound") and follows chains of them.
function deref(value) {
    const seen = new Set();
    while (value && typeof value === 'object' && typeof value.$ref === 'string') {
        const ref = value.$ref;
        if (!ref.startsWith('#/') || seen.has(ref)) throw new Error(`cannot resolve ${ref}`);
        seen.add(ref);
        value = ref
            .slice(2)
            .split('/')
            .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
            .reduce((node, key) => (node === undefined ? undefined : node[key]), spec);
        if (value === undefined) throw new Error(`dangling reference ${ref}`);
    }
    return value;
}

// ajv sees the document's schemas under $defs of one schema; references are rewritten to it.
const componentsId = 'https://cashierd.invalid/openapi/components';
function rewriteRefs(node) {
    if (Array.isArray(node)) return node.map(rewriteRefs);
    if (!node || typeof node !== 'object') return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') {
            const match = /^#\/components\/schemas\/(.+)$/.exec(value);
            if (!match) throw new Error(`schema reference outside components/schemas: ${value}`);
            out.$ref = `${componentsId}#/$defs/${match[1]}`;
        } else {
            out[key] = rewriteRefs(value);
        }
    }
    return out;
}

// Strict: an unknown keyword in a schema is an error, so a typo cannot weaken a check. The
// OpenAPI 3.1 dialect adds these four to JSON Schema 2020-12.
const ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true });
addFormats(ajv);
ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
ajv.addSchema({ $id: componentsId, $defs: rewriteRefs(spec.components?.schemas ?? {}) });
const validators = new Map();
function validatorFor(schema) {
    if (!validators.has(schema)) validators.set(schema, ajv.compile(rewriteRefs(schema)));
    return validators.get(schema);
}

function schemaErrors(schema, value) {
    const validate = validatorFor(schema);
    if (validate(value)) return [];
    return validate.errors.map(
        (e) => `${e.instancePath || '(root)'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`,
    );
}

// The example value of a parameter (parameter `example`, then its schema's `examples[0]`).
function exampleOf(parameter) {
    if (parameter.example !== undefined) return parameter.example;
    const schema = deref(parameter.schema ?? {});
    if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
    return undefined;
}

// The example of a media type object: `example`, else the value of the first of `examples`.
function mediaExampleOf(media) {
    if (media.example !== undefined) return media.example;
    const first = Object.values(media.examples ?? {})[0];
    return first === undefined ? undefined : deref(first).value;
}

// Values saved by x-cashierd-save, by name.
const saved = new Map();

// A JSON pointer's reference tokens ("" is the whole value).
function pointerTokens(pointer) {
    if (pointer === '') return [];
    if (typeof pointer !== 'string' || !pointer.startsWith('/')) throw new Error(`bad JSON pointer ${pointer}`);
    return pointer
        .slice(1)
        .split('/')
        .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function walk(value, tokens) {
    return tokens.reduce(
        (node, key) => (node !== null && typeof node === 'object' && Object.hasOwn(node, key) ? node[key] : undefined),
        value,
    );
}

function pointerGet(value, pointer) {
    return walk(value, pointerTokens(pointer));
}

// Replaces the value at `pointer`, which must exist; false when it does not.
function pointerSet(value, pointer, replacement) {
    const tokens = pointerTokens(pointer);
    const last = tokens.pop();
    const parent = walk(value, tokens);
    if (last === undefined || parent === null || typeof parent !== 'object' || !Object.hasOwn(parent, last)) {
        return false;
    }
    parent[last] = replacement;
    return true;
}

// The value saved under `name`, or a problem.
function savedValue(name, where) {
    if (!saved.has(name)) {
        return { problem: `${where} wants the value saved as ${name}, which no earlier example saved` };
    }
    return { value: saved.get(name) };
}

// The header value a provider would sign `body` with: t=<now>,v1=<hex HMAC-SHA256>.
function webhookSignature(secret, body) {
    const t = Math.floor(Date.now() / 1000);
    const digest = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    return `t=${t},v1=${digest}`;
}

function normalizeMediaType(text) {
    return text
        .split(';')
        .map((part) => part.trim().toLowerCase())
        .filter((part) => part !== '')
        .join('; ');
}

function isJsonMediaType(media) {
    const base = media.split(';')[0].trim();
    return base === 'application/json' || base.endsWith('+json');
}

// Header values are text; a schema of integers is checked on the number they spell.
function headerValue(schema, text) {
    const resolved = deref(schema ?? {});
    if (resolved.type === 'integer' && /^-?[0-9]+$/.test(text)) return Number(text);
    return text;
}

// Checks one answer against a documented response object; returns the problems found.
function checkAnswer(answer, documented, sentRequestId) {
    const problems = [];
    const response = deref(documented);
    for (const [name, headerObject] of Object.entries(response.headers ?? {})) {
        const header = deref(headerObject);
        const value = answer.headers.get(name);
        if (value === null) {
            if (header.required) problems.push(`header ${name} missing`);
            continue;
        }
        for (const error of schemaErrors(header.schema ?? {}, headerValue(header.schema, value))) {
            problems.push(`header ${name}: "${value}" ${error}`);
        }
    }
    if (sentRequestId && answer.headers.get('x-request-id') !== sentRequestId) {
        problems.push(`X-Request-Id "${answer.headers.get('x-request-id')}" does not echo "${sentRequestId}"`);
    }
    const content = response.content ?? {};
    const contentType = answer.headers.get('content-type');
    if (Object.keys(content).length === 0) {
        if (answer.body.length !== 0) problems.push('a body where none is documented');
        return problems;
    }
    if (contentType === null) {
        problems.push('no Content-Type');
        return problems;
    }
    const media = Object.keys(content).find(
        (key) => normalizeMediaType(key) === normalizeMediaType(contentType),
    );
    if (media === undefined) {
        problems.push(`Content-Type "${contentType}" not documented (${Object.keys(content).join(', ')})`);
        return problems;
    }
    const schema = content[media].schema;
    if (isJsonMediaType(media)) {
        let value;
        try {
            value = JSON.parse(answer.body);
        } catch (error) {
            problems.push(`body is not JSON: ${error.message}`);
            return problems;
        }
        if (schema) problems.push(...schemaErrors(schema, value).map((e) => `body ${e}`));
    } else {
        if (answer.body.length === 0) problems.push('empty body');
        if (schema) problems.push(...schemaErrors(schema, answer.body).map((e) => `body ${e}`));
    }
    return problems;
}

// The documented response for a status: exact, then the range ("4XX"), then `default`.
function documentedResponse(responses, status) {
    return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
}

let passed = 0;
let failed = 0;
let requestCounter = 0;

function report(label, problems) {
    if (problems.length === 0) {
        ++passed;
        console.log(`ok    ${label}`);
        return;
    }
    ++failed;
    console.log(`FAIL  ${label}`);
    for (const problem of problems) console.log(`        ${problem}`);
}

async function send(method, path, { headers = {}, body } = {}) {
    const requestId = `openapi-check.${++requestCounter}`;
    const response = await fetch(`${options.base}${path}`, {
        method: method.toUpperCase(),
        headers: { 'X-Request-Id': requestId, ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(requestTimeoutMs),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text, requestId };
}

// Builds the request of an operation from the document's examples, with or without its
// credential, and (for an operation with x-cashierd-signature) signed, unsigned ('none') or
// signed with the wrong secret ('wrong'). Returns { path, headers, body } or { problem }.
function buildRequest(pathTemplate, pathItem, operation, { withCredential = true, signature = 'valid' } = {}) {
    const parameters = [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])].map(deref);
    let path = pathTemplate;
    const query = new URLSearchParams();
    const headers = {};
    for (const parameter of parameters) {
        // X-Request-Id is set by send(), a signature header below.
        if (parameter.in === 'header') continue;
        let value = exampleOf(parameter);
        if (parameter['x-cashierd-from'] !== undefined) {
            const from = savedValue(parameter['x-cashierd-from'], `parameter ${parameter.name}`);
            if (from.problem) return from;
            value = from.value;
        }
        if (parameter.in === 'path') {
            if (value === undefined) return { problem: `no example for path parameter ${parameter.name}` };
            path = path.replace(`{${parameter.name}}`, encodeURIComponent(String(value)));
        } else if (parameter.in === 'query' && value !== undefined) {
            query.set(parameter.name, String(value));
        } else if (parameter.in === 'query' && parameter.required) {
            return { problem: `no example for required query parameter ${parameter.name}` };
        }
    }
    const security = operation.security ?? spec.security ?? [];
    if (withCredential && security.length > 0) {
        const schemes = Object.keys(security[0]);
        for (const name of schemes) {
            const scheme = deref(spec.components.securitySchemes[name]);
            // Scheme names say whose credential they take: manager* or customer*.
            const token = /^manager/.test(name) ? options.managerToken
                : /^customer/.test(name) ? options.customerToken : '';
            if (!token) return { problem: `no credential for security scheme ${name}` };
            if (scheme.type === 'http' && scheme.scheme === 'bearer') {
                headers.Authorization = `Bearer ${token}`;
            } else if (scheme.type === 'apiKey' && scheme.in === 'query') {
                query.set(scheme.name, token);
            } else if (scheme.type === 'apiKey' && scheme.in === 'header') {
                headers[scheme.name] = token;
            } else {
                return { problem: `unsupported security scheme ${name}` };
            }
        }
    }
    let body;
    if (operation.requestBody) {
        const requestBody = deref(operation.requestBody);
        const json = requestBody.content?.['application/json'];
        const example = json ? mediaExampleOf(json) : undefined;
        if (example !== undefined) {
            const sent = structuredClone(example);
            for (const [pointer, name] of Object.entries(json['x-cashierd-from'] ?? {})) {
                const from = savedValue(name, `request body ${pointer}`);
                if (from.problem) return from;
                if (!pointerSet(sent, pointer, from.value)) {
                    return { problem: `x-cashierd-from: the request body example has no ${pointer}` };
                }
            }
            body = JSON.stringify(sent);
            headers['Content-Type'] = 'application/json';
        } else if (requestBody.required) {
            return { problem: 'no application/json example for the required request body' };
        }
    }
    const signing = operation['x-cashierd-signature'];
    if (signing && signature !== 'none') {
        const secret = options.webhookSecrets.get(signing.secret);
        if (secret === undefined) {
            return { problem: `no --webhook-secret ${signing.secret}=SECRET for x-cashierd-signature` };
        }
        const key = signature === 'wrong' ? `${secret}-not-the-secret` : secret;
        headers[signing.header] = webhookSignature(key, body ?? '');
    }
    const search = query.toString();
    return { path: search ? `${path}?${search}` : path, headers, body };
}

// Saves the values x-cashierd-save names from a successful answer; returns the problems.
function saveValues(operation, answer) {
    const wanted = Object.entries(operation['x-cashierd-save'] ?? {});
    if (wanted.length === 0) return [];
    let value;
    try {
        value = JSON.parse(answer.body);
    } catch {
        return ['x-cashierd-save: the answer is not JSON'];
    }
    const problems = [];
    for (const [name, pointer] of wanted) {
        const found = pointerGet(value, pointer);
        if (found === undefined) problems.push(`x-cashierd-save: the answer has no ${pointer} to save as ${name}`);
        else saved.set(name, found);
    }
    return problems;
}

// Sends a request that must be refused with a documented 401 and reports it.
async function checkRefused(label, method, operation, request) {
    if (request.problem) {
        report(label, [request.problem]);
        return;
    }
    const refused = await send(method, request.path, request);
    const unauthorized = (operation.responses ?? {})['401'];
    const problems = [];
    if (refused.status !== 401) problems.push(`expected 401, got ${refused.status}: ${refused.body.slice(0, 300)}`);
    if (!unauthorized) problems.push('401 not documented');
    else problems.push(...checkAnswer(refused, unauthorized, refused.requestId));
    report(`${label} -> ${refused.status}`, problems);
}

async function checkOperation(pathTemplate, pathItem, method, operation) {
    const label = `${method.toUpperCase()} ${pathTemplate}`;
    const request = buildRequest(pathTemplate, pathItem, operation);
    if (request.problem) {
        report(label, [request.problem]);
        return;
    }
    const answer = await send(method, request.path, request);
    const responses = operation.responses ?? {};
    const documented = documentedResponse(responses, answer.status);
    if (!documented) {
        report(`${label} -> ${answer.status}`, [`status ${answer.status} not documented`, `body: ${answer.body.slice(0, 300)}`]);
        return;
    }
    const problems = checkAnswer(answer, documented, answer.requestId);
    const expected = operation['x-cashierd-expect'];
    if (expected !== undefined) {
        if (answer.status !== expected) problems.push(`expected ${expected}, got ${answer.status}: ${answer.body.slice(0, 300)}`);
    } else if (answer.status >= 400 || (answer.status >= 300 && responses[String(answer.status)] === undefined)) {
        // The examples are meant to succeed: an error here means the example or the server is wrong.
        problems.push(`the documented example was refused: ${answer.body.slice(0, 300)}`);
    } else if (answer.status < 300) {
        problems.push(...saveValues(operation, answer));
    }
    report(`${label} -> ${answer.status}`, problems);

    const security = operation.security ?? spec.security ?? [];
    if (security.length > 0) {
        const bare = buildRequest(pathTemplate, pathItem, operation, { withCredential: false });
        await checkRefused(`${label} without credentials`, method, operation, bare);
    }
    if (operation['x-cashierd-signature']) {
        const unsigned = buildRequest(pathTemplate, pathItem, operation, { signature: 'none' });
        await checkRefused(`${label} without a signature`, method, operation, unsigned);
        const wrong = buildRequest(pathTemplate, pathItem, operation, { signature: 'wrong' });
        await checkRefused(`${label} with a wrong signature`, method, operation, wrong);
    }
}

async function main() {
    let planned = 0;
    for (const [pathTemplate, pathItem] of Object.entries(spec.paths ?? {})) {
        for (const method of methods) {
            const operation = pathItem[method];
            if (!operation) continue;
            if (operation['x-cashierd-status'] === 'planned') {
                ++planned;
                continue;
            }
            await checkOperation(pathTemplate, pathItem, method, operation);
        }
    }

    // The document the server serves is the one checked here.
    const served = await send('get', '/openapi.json');
    report('GET /openapi.json serves this document byte for byte',
        served.body === specText ? [] : [`served ${served.body.length} bytes, the document has ${specText.length}`]);

    // Answers any route can give.
    const unknown = await send('get', '/openapi-check/no-such-route');
    const notFound = spec.components?.responses?.NotFound;
    report(`GET /openapi-check/no-such-route -> ${unknown.status}`, [
        ...(unknown.status === 404 ? [] : [`expected 404, got ${unknown.status}`]),
        ...(notFound ? checkAnswer(unknown, notFound, unknown.requestId) : ['components.responses.NotFound missing']),
    ]);
    const wrongMethod = await send('post', '/healthz');
    const methodNotAllowed = spec.components?.responses?.MethodNotAllowed;
    report(`POST /healthz -> ${wrongMethod.status}`, [
        ...(wrongMethod.status === 405 ? [] : [`expected 405, got ${wrongMethod.status}`]),
        ...(wrongMethod.headers.get('allow') === 'GET, HEAD' ? [] : [`Allow "${wrongMethod.headers.get('allow')}", expected "GET, HEAD"`]),
        ...(methodNotAllowed
            ? checkAnswer(wrongMethod, methodNotAllowed, wrongMethod.requestId)
            : ['components.responses.MethodNotAllowed missing']),
    ]);

    console.log(`(${planned} planned operations not checked)`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 ? 0 : 1);
}

main().catch((error) => {
    console.error(`check_responses: ${error.stack ?? error}`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
});
