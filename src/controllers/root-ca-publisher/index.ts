// Public API of the root CA publisher part: the `kube-root-ca.crt` ConfigMap in every namespace.
export { ROOT_CA_CONFIGMAP, RootCaPublisher, type RootCaPublisherOptions } from './controller.js';
