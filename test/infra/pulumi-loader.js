// Loads the Pulumi program the way `pulumi up` does, under mocks, and prints
// the stack outputs as JSON. As in @pulumi/pulumi's cmd/run: the working
// directory is Pulumi.yaml's `main` (infra/), ts-node is registered with the
// tsconfig.json found there, and the program is require()d as a folder.
// Usage: node pulumi-loader.js <repo root>   (PULUMI_CONFIG sets the stack config)
const path = require('node:path');
const fs = require('node:fs');

const root = path.resolve(process.argv[2]);
process.chdir(path.join(root, 'infra'));
const fromRoot = (id) => require(require.resolve(id, { paths: [root] }));
const pulumi = fromRoot('@pulumi/pulumi');
const tsutils = fromRoot('@pulumi/pulumi/tsutils');

let resources = 0;
pulumi.runtime.setMocks(
  {
    newResource(args) {
      resources++;
      const state = {
        ...args.inputs,
        arn: `arn:aws:mock:us-east-1:123456789012:${args.name}`,
        name: args.inputs.name ?? args.name,
        apiEndpoint: 'wss://abc123.execute-api.us-east-1.amazonaws.com',
        executionArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123',
        invokeArn: `arn:aws:apigateway:us-east-1:lambda:path/functions/${args.name}/invocations`,
        url: `https://sqs.us-east-1.amazonaws.com/123456789012/${args.name}`,
      };
      return { id: `${args.name}-id`, state };
    },
    call: (args) =>
      args.token === 'aws:index/getRegion:getRegion'
        ? { region: 'us-east-1', name: 'us-east-1' }
        : { partition: 'aws' },
  },
  'mesh',
  'dev',
  false,
);

const tsconfig = 'tsconfig.json';
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
require(tsnodeRequire).register({
  compiler: typescriptRequire,
  // Type checking is `npm run typecheck`'s job; here only loading is tested.
  transpileOnly: true,
  project: tsconfig,
  skipProject: !fs.existsSync(tsconfig),
  compilerOptions: {
    target: 'ES2020',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    sourceMap: 'true',
    ...tsutils.loadTypeScriptCompilerOptions(tsconfig),
  },
});

const program = require(process.cwd());
const names = Object.keys(program);
Promise.all(names.map((name) => new Promise((resolve) => program[name].apply(resolve)))).then((values) => {
  process.stdout.write(JSON.stringify({ resources, outputs: Object.fromEntries(names.map((n, i) => [n, values[i]])) }));
});
