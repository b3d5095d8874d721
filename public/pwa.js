// Installs Parcelport's service worker (public/sw.js): the app can be installed on a phone, and
// the tracking pages a recipient viewed open again without a network.
if ("serviceWorker" in navigator) {
  addEventListener("load", () => navigator.serviceWorker.register("/sw.js").catch(() => {}));
}
