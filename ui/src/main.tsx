import { render } from 'preact';
import { App } from './app';
import { applyTheme, initialTheme } from './storage';
import './styles.css';

// Before the first render, so the page never flashes the other theme.
applyTheme(initialTheme());
render(<App />, document.getElementById('app')!);
