import './styles.css';

import { SignalboxError } from '@signalbox/sdk';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';

import { SignedIn } from './layout';
import { NotFoundPage } from './pages/not-found';
import { RunDetailPage } from './pages/run-detail';
import { RunsListPage } from './pages/runs-list';
import { SignInPage } from './pages/sign-in';
import { takeTokenFromFragment } from './session';
import { SessionProvider } from './session-context';

// First of all, before any route: the sign-in link's token leaves the address bar.
const fragmentError = takeTokenFromFragment();

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (4xx) is an answer: show it at once. Network trouble and 5xx are tried twice more.
      retry: (failures, error) =>
        failures < 2 && !(error instanceof SignalboxError && error.status >= 400 && error.status < 500),
      refetchOnWindowFocus: false,
      staleTime: 5_000,
    },
  },
});

const router = createBrowserRouter(
  [
    { path: '/sign-in', element: <SignInPage /> },
    {
      path: '/',
      element: <SignedIn />,
      children: [
        { index: true, element: <Navigate to="/runs" replace /> },
        { path: 'runs', element: <RunsListPage /> },
        { path: 'runs/:jobId', element: <RunDetailPage /> },
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ],
  { basename: '/console' },
);

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <SessionProvider initialError={fragmentError}>
        <RouterProvider router={router} />
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);
