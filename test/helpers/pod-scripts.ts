// JavaScript that test pods run with `node -e`: what a daemon does with the service account
// kubeconfig its agent gives it.

/**
 * Reads the file `$KUBECONFIG` names into `fs`, `https`, `server` (its URL), `token` and `ca`
 * (the cluster CA as a Buffer), for the rest of a pod's script.
 */
export const readPodKubeconfigJs = [
  "const fs=require('fs'),https=require('https');const y=fs.readFileSync(process.env.KUBECONFIG,'utf8');",
  "const server=/server: (\\S+)/.exec(y)[1];const token=/token: (\\S+)/.exec(y)[1];const ca=Buffer.from(/certificate-authority-data: (\\S+)/.exec(y)[1],'base64');",
].join('');
