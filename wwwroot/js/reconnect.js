// When a page's live connection drops, ask whether this browser is still signed in. A revoked sign-in (the token
// replaced, every session ended) goes to the sign-in page, which says so, instead of leaving a page whose buttons do
// nothing; a dashboard that is only restarting is left to Blazor's own reconnecting.
(() => {
    const modal = document.getElementById('components-reconnect-modal');
    if (!modal) return;
    const down = ['components-reconnect-show', 'components-reconnect-retrying', 'components-reconnect-failed', 'components-reconnect-rejected'];
    let asking = false;
    const check = async () => {
        if (asking || !down.some(name => modal.classList.contains(name))) return;
        asking = true;
        try {
            const response = await fetch('api/session', { cache: 'no-store', credentials: 'same-origin' });
            if (response.status === 401) {
                location.replace(`login?signedOut=1&returnUrl=${encodeURIComponent(location.pathname + location.search)}`);
            }
        } catch {
            // The dashboard does not answer at all: Blazor keeps trying, and this asks again at its next state.
        } finally {
            asking = false;
        }
    };
    new MutationObserver(check).observe(modal, { attributes: true, attributeFilter: ['class'] });
})();
