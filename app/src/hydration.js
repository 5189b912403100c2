// Takes over the islands of a server-rendered page: loads the browser bundle,
// then hydrates each <leptos-island> in document order (an island loaded on
// demand waits for its chunk), then marks the page as taken over. Islands do
// not nest in this app, so a flat walk is enough.
((jsUrl, wasmUrl) => {
	const taken = () => {
		const app = document.querySelector('.app');
		if (app) app.setAttribute('data-hydrated', 'true');
		performance.mark('app-hydrated');
	};
	const islands = Array.from(document.querySelectorAll('leptos-island'));
	// A page without islands (signing in, say) needs no code at all.
	if (islands.length === 0) {
		taken();
		return;
	}
	import(jsUrl)
		.then(async (mod) => {
			await mod.default({ module_or_path: wasmUrl });
			mod.hydrate();
			for (const island of islands) {
				const hydrate = mod[island.dataset.component];
				if (hydrate) {
					await hydrate(island);
				} else {
					console.error(`no code for the island ${island.dataset.component}`);
				}
			}
			taken();
		})
		.catch((error) => console.error('the page could not be taken over', error));
})
